//! A client's browser and an operator's API client in one, keeping every
//! answer (status, headers and body) to be scanned afterwards.

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::Value;

use crate::letters;

/// A page as the browser received it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) text: String,
}

#[derive(Debug)]
pub(crate) struct Http {
    base: String,
    api_key: String,
    /// Keeps cookies, follows no redirect: a client's browser.
    browser: reqwest::Client,
    api: reqwest::Client,
    /// Every answer so far: what was asked, and the answer as text.
    answers: Vec<(String, String)>,
}

impl Http {
    pub(crate) fn new(base: &str, api_key: &str) -> Self {
        Self {
            base: base.to_owned(),
            api_key: api_key.to_owned(),
            browser: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .user_agent("Mozilla/5.0 (card data test)")
                .build()
                .expect("a browser"),
            api: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("an API client"),
            answers: Vec::new(),
        }
    }

    /// Every answer so far, as (what was asked, status, headers and body).
    pub(crate) fn answers(&self) -> impl Iterator<Item = (String, &str)> {
        self.answers
            .iter()
            .map(|(asked, text)| (format!("the answer to {asked}"), text.as_str()))
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// Reads `response` whole and keeps it.
    async fn keep(&mut self, asked: String, response: reqwest::Response) -> Answer {
        let status = response.status();
        let mut kept = format!("{status}\n");
        for (name, value) in response.headers() {
            kept.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.expect("a readable body");
        kept.push('\n');
        kept.push_str(&text);
        self.answers.push((asked, kept));
        Answer {
            status,
            location,
            text,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Answer {
        let response = self
            .browser
            .get(self.url(path))
            .send()
            .await
            .expect("GET a page");
        self.keep(format!("GET {path}"), response).await
    }

    /// Posts a form from the portal's own page.
    pub(crate) async fn post(&mut self, path: &str, form: &str) -> Answer {
        let response = self
            .browser
            .post(self.url(path))
            .header("origin", &self.base)
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
            .await
            .expect("POST a form");
        self.keep(format!("POST {path}"), response).await
    }

    /// The page a redirect leads to, or the answer itself when it is not
    /// one.
    pub(crate) async fn follow(&mut self, answer: &Answer) -> String {
        match (&answer.status, &answer.location) {
            (&StatusCode::SEE_OTHER, Some(location)) => self.get(location).await.text,
            _ => answer.text.clone(),
        }
    }

    /// The pay form of `invoice`: its action, with a fresh checkout.
    pub(crate) async fn checkout(&mut self, invoice: &str) -> String {
        let page = self
            .post("/portal/pay", &format!("invoice={invoice}"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        actions(&page.text)
            .into_iter()
            .find(|a| a.starts_with("/portal/pay/"))
            .unwrap_or_else(|| panic!("no pay form:\n{}", page.text))
    }

    /// Opens the pay page of `invoice`, posts `form` to it and answers
    /// the page that follows.
    pub(crate) async fn pay(&mut self, invoice: &str, form: &str) -> String {
        let action = self.checkout(invoice).await;
        let answer = self
            .post(&action, &format!("{form}&invoice={invoice}"))
            .await;
        self.follow(&answer).await
    }

    /// Calls the operator API.
    pub(crate) async fn api(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .api
            .request(method.parse().expect("a method"), self.url(path))
            .bearer_auth(&self.api_key);
        if method == "POST" {
            request = request.header("idempotency-key", format!("card-data-{}", letters(16)));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("call the API");
        let answer = self.keep(format!("{method} {path}"), response).await;
        let json = serde_json::from_str(&answer.text).unwrap_or(Value::String(answer.text));
        (answer.status, json)
    }
}

/// The `action` of every form in `html`.
pub(crate) fn actions(html: &str) -> Vec<String> {
    html.split("action=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|action| action.replace("&amp;", "&"))
        .collect()
}
