//! The cold-start benchmark's floor: a Lambda function that does nothing. It asks the
//! Runtime API for each event and answers it with a fixed 200, over plain HTTP/1.1 from
//! the standard library: no runtime, no clients, no configuration. Its first response
//! is what starting a process and two round trips to the Runtime API host cost, which
//! every function in the benchmark pays before and around its own work
//! (bench/cold_start.py runs it beside them).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
/// What the intake would answer API Gateway, minus the work.
const ANSWER: &[u8] =
    br#"{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{}"}"#;

fn main() {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        eprintln!(
            "runtime-floor: AWS_LAMBDA_RUNTIME_API is not set: expected the Runtime API's host:port"
        );
        std::process::exit(2);
    };
    loop {
        if let Err(e) = answer_next(&api) {
            eprintln!("runtime-floor: {e}");
            std::process::exit(1);
        }
    }
}

/// Takes the next event and answers it.
fn answer_next(api: &str) -> io::Result<()> {
    let next = exchange(api, "GET", NEXT, b"")?;
    if next.status != 200 {
        return Err(io::Error::other(format!(
            "the Runtime API answered the request for the next event with {}, expected 200",
            next.status
        )));
    }
    let id = next.request_id.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the next event came without Lambda-Runtime-Aws-Request-Id",
        )
    })?;
    let answered = exchange(
        api,
        "POST",
        &format!("/2018-06-01/runtime/invocation/{id}/response"),
        ANSWER,
    )?;
    if answered.status != 202 {
        return Err(io::Error::other(format!(
            "the Runtime API answered our response with {}, expected 202",
            answered.status
        )));
    }
    Ok(())
}

struct Reply {
    status: u16,
    request_id: Option<String>,
}

/// One request on a connection of its own (the host closes each after its answer).
fn exchange(api: &str, method: &str, path: &str, body: &[u8]) -> io::Result<Reply> {
    let mut stream = TcpStream::connect(api)?;
    stream.set_nodelay(true)?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {api}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    stream.write_all(&request)?;

    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("status line {line:?}: expected HTTP/1.x CODE"),
            )
        })?;
    let (mut length, mut request_id) = (0usize, None);
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("Content-Length {value:?}: expected a number"),
                    )
                })?;
            } else if name.eq_ignore_ascii_case("lambda-runtime-aws-request-id") {
                request_id = Some(value.to_owned());
            }
        }
    }
    // The event itself is not looked at: reading it is all a function must do.
    let mut event = vec![0; length];
    reader.read_exact(&mut event)?;
    Ok(Reply { status, request_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Serves one connection: reads the request (head and Content-Length body), answers
    /// `reply`, and returns the request's first line and body.
    fn serve_one(listener: &TcpListener, reply: &str) -> (String, String) {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let (mut first, mut line, mut length) = (String::new(), String::new(), 0);
        reader.read_line(&mut first).unwrap();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        (&stream).write_all(reply.as_bytes()).unwrap();
        (
            first.trim_end().to_owned(),
            String::from_utf8(body).unwrap(),
        )
    }

    fn host(
        replies: Vec<&'static str>,
    ) -> (String, std::thread::JoinHandle<Vec<(String, String)>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let served = std::thread::spawn(move || {
            replies
                .into_iter()
                .map(|r| serve_one(&listener, r))
                .collect()
        });
        (address, served)
    }

    const EVENT: &str = "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\
        Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n\r\n{}";
    const ACCEPTED: &str = "HTTP/1.0 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}";

    #[test]
    fn an_event_is_taken_and_answered_under_its_request_id() {
        let (api, served) = host(vec![EVENT, ACCEPTED]);
        answer_next(&api).unwrap();
        let served = served.join().unwrap();
        assert_eq!(served[0], (format!("GET {NEXT} HTTP/1.1"), String::new()));
        assert_eq!(
            served[1].0,
            "POST /2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response HTTP/1.1"
        );
        assert_eq!(served[1].1.as_bytes(), ANSWER);
    }

    #[test]
    fn every_refusal_is_an_error_saying_what_was_expected() {
        let (api, served) = host(vec![
            "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
        ]);
        let e = answer_next(&api).unwrap_err();
        assert!(e.to_string().contains("with 500, expected 200"), "{e}");
        served.join().unwrap();

        let (api, served) = host(vec!["HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}"]);
        let e = answer_next(&api).unwrap_err();
        assert!(
            e.to_string().contains("Lambda-Runtime-Aws-Request-Id"),
            "{e}"
        );
        served.join().unwrap();

        let (api, served) = host(vec![
            EVENT,
            "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
        ]);
        let e = answer_next(&api).unwrap_err();
        assert!(e.to_string().contains("400, expected 202"), "{e}");
        served.join().unwrap();
    }
}
