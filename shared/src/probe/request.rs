//! What a case sends, and what the judge is asked: JSON bodies built from the case alone
//! (no credentials: the runner adds the bearer token at the edge).

use serde_json::{Value, json};

use super::case::{Case, Input, Judge};

/// The JSON body of `case`'s request.
pub fn body(case: &Case) -> Value {
    match &case.input {
        Input::Prompt {
            text,
            system,
            api_model,
        } => {
            let mut messages = Vec::new();
            if let Some(system) = system {
                messages.push(json!({"role": "system", "content": system}));
            }
            messages.push(json!({"role": "user", "content": text}));
            json!({"model": api_model, "messages": messages})
        }
        Input::Body(body) => body.clone(),
    }
}

/// The request in words, for a page: the prompt, or the body as JSON.
pub fn describe(case: &Case) -> String {
    match &case.input {
        Input::Prompt { text, .. } => text.clone(),
        Input::Body(body) => body.to_string(),
    }
}

/// The chat request asking `judge` to score `answer` to the case's request.
pub fn judge_body(judge: &Judge, case: &Case, answer: &str) -> Value {
    let instructions = "You grade another model's answer. Reply with a single number from 0 \
                        (fails the criteria) to 1 (fully meets them), and nothing else.";
    let question = format!(
        "Criteria: {}\n\nRequest:\n{}\n\nAnswer:\n{}",
        judge.criteria,
        describe(case),
        answer
    );
    json!({
        "model": judge.api_model,
        "messages": [
            {"role": "system", "content": instructions},
            {"role": "user", "content": question}
        ]
    })
}

/// The judge's score: the first number in its reply, which must lie in 0..=1.
pub fn judge_score(reply: &str) -> Result<f64, String> {
    let start = reply
        .find(|c: char| c.is_ascii_digit())
        .ok_or_else(|| format!("the judge's reply has no score: {:?}", clip(reply)))?;
    let number: String = reply[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    // "0.85." ends a sentence.
    let number = number.trim_end_matches('.');
    match number.parse::<f64>() {
        Ok(score) if (0.0..=1.0).contains(&score) => Ok(score),
        _ => Err(format!(
            "the judge's score {number:?} is not a number from 0 to 1"
        )),
    }
}

fn clip(text: &str) -> String {
    super::outcome::clip(text, 80)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::testing::case;

    #[test]
    fn a_prompt_becomes_a_chat_completion_request() {
        let mut c = case();
        c.input = Input::Prompt {
            text: "Capital of France?".into(),
            system: Some("Answer in one word.".into()),
            api_model: "gpt-x".into(),
        };
        assert_eq!(
            body(&c),
            json!({"model": "gpt-x", "messages": [
                {"role": "system", "content": "Answer in one word."},
                {"role": "user", "content": "Capital of France?"}
            ]})
        );
    }

    #[test]
    fn a_body_is_sent_as_written() {
        let mut c = case();
        c.input = Input::Body(json!({"inputs": "hi", "n": 1}));
        assert_eq!(body(&c), json!({"inputs": "hi", "n": 1}));
        assert_eq!(describe(&c), r#"{"inputs":"hi","n":1}"#);
    }

    #[test]
    fn the_judges_score_is_the_first_number_from_0_to_1() {
        assert_eq!(judge_score("0.8"), Ok(0.8));
        assert_eq!(judge_score("Score: 1"), Ok(1.0));
        assert_eq!(judge_score("0.85."), Ok(0.85));
        assert_eq!(judge_score("I would give it 0.9. It is correct."), Ok(0.9));
        assert!(judge_score("1.2.3").is_err());
        assert!(judge_score("7/10").is_err());
        assert!(judge_score("excellent").is_err());
    }

    #[test]
    fn the_judge_sees_criteria_request_and_answer() {
        let c = case();
        let judge = Judge {
            endpoint: "judge".into(),
            api_model: "grader".into(),
            criteria: "names the capital".into(),
            min_score: 0.5,
        };
        let b = judge_body(&judge, &c, "Paris");
        assert_eq!(b["model"], "grader");
        let asked = b["messages"][1]["content"].as_str().unwrap();
        assert!(asked.contains("names the capital") && asked.contains("Paris"));
    }
}
