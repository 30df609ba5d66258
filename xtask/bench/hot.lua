-- wrk script of the hot-path benchmark (`cargo xtask bench --only hot`).
--
-- GET paths: `HOT_COOKIE` holds the session cookie sent with every
-- request; the path is the URL's.
-- Link redemption: `HOT_TOKENS` names a file of unused link tokens, one a
-- line. Each of the `HOT_THREADS` threads takes every HOT_THREADS-th line
-- and posts each of its tokens once (`POST /l/{token}`), never reusing
-- one; a thread that runs out posts to a link that does not exist (an
-- error answer) and counts it as `exhausted`.
--
-- `done` prints one JSON line: requests, duration, latency percentiles in
-- microseconds, and every kind of error.

local cookie = os.getenv("HOT_COOKIE")
local token_file = os.getenv("HOT_TOKENS")
local thread_count = tonumber(os.getenv("HOT_THREADS") or "1")

wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) portal-bench"
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Per thread (each has its own Lua state).
tokens = nil
position = 1
exhausted = 0

function init(args)
  if token_file and token_file ~= "" then
    tokens = {}
    local line_number = 0
    for line in io.lines(token_file) do
      if line_number % thread_count == id and line ~= "" then
        tokens[#tokens + 1] = line
      end
      line_number = line_number + 1
    end
  end
end

if token_file and token_file ~= "" then
  function request()
    local token = tokens[position]
    if token == nil then
      exhausted = exhausted + 1
      return wrk.format("POST", "/l/no-links-left")
    end
    position = position + 1
    return wrk.format("POST", "/l/" .. token)
  end
end

function done(summary, latency, requests)
  local left_out = 0
  for _, thread in ipairs(threads) do
    left_out = left_out + (tonumber(thread:get("exhausted")) or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%d,'
      .. '"status_errors":%d,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"timeouts":%d,"exhausted":%d}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.mean, errors.status, errors.connect,
    errors.read, errors.write, errors.timeout, left_out))
end
