//! The shared HTTP client over TLS: self-signed servers with `insecure`, an
//! extra CA file, and the failure kinds when trust is missing.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use agentload::http::{HttpClient, HttpSession, TlsOptions};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// An HTTPS server on 127.0.0.1 answering every request with a cookie and "ok".
async fn tls_server() -> (String, String, tokio::task::JoinHandle<()>) {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert_pem = ck.cert.pem();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![ck.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/x",
        listener.local_addr().unwrap().port()
    );
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(|_req| async {
                    let mut resp = Response::new(Full::new(Bytes::from_static(b"ok")));
                    resp.headers_mut().insert(
                        "set-cookie",
                        "JSESSIONID=s1; Path=/; Secure".parse().unwrap(),
                    );
                    Ok::<_, Infallible>(resp)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (url, cert_pem, task)
}

async fn get(
    client: &HttpClient,
    session: &HttpSession,
    url: &str,
) -> Result<agentload::http::HttpResponse, agentload::http::HttpError> {
    client
        .request(
            session,
            Method::GET,
            &url.parse().unwrap(),
            None,
            Bytes::new(),
            Duration::from_secs(10),
        )
        .await
}

#[tokio::test]
async fn insecure_accepts_a_self_signed_server() {
    let (url, _, task) = tls_server().await;
    let client = HttpClient::new(&TlsOptions {
        insecure: true,
        ca_file: None,
    })
    .unwrap();
    let session = HttpSession::new();
    let resp = get(&client, &session, &url).await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(&resp.body[..], b"ok");
    assert_eq!(session.cookie("JSESSIONID").as_deref(), Some("s1"));
    task.abort();
}

#[tokio::test]
async fn untrusted_certificate_fails_with_kind_tls_and_ca_file_fixes_it() {
    let (url, pem, task) = tls_server().await;
    let strict = HttpClient::new(&TlsOptions::default()).unwrap();
    let err = get(&strict, &HttpSession::new(), &url).await.unwrap_err();
    assert_eq!(err.kind().name(), "tls", "{err}");

    let dir = std::env::temp_dir().join(format!("agentload-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let trusting = HttpClient::new(&TlsOptions {
        insecure: false,
        ca_file: Some(ca),
    })
    .unwrap();
    assert_eq!(
        get(&trusting, &HttpSession::new(), &url)
            .await
            .unwrap()
            .status,
        StatusCode::OK
    );

    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let err = HttpClient::new(&TlsOptions {
        insecure: false,
        ca_file: Some(empty),
    })
    .unwrap_err();
    assert_eq!(err.kind().name(), "tls_config");
    assert!(err.to_string().contains("empty.pem"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    task.abort();
}

#[tokio::test]
async fn refused_connection_and_timeout_have_their_kinds() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = HttpClient::new(&TlsOptions::default()).unwrap();
    let err = get(
        &client,
        &HttpSession::new(),
        &format!("http://127.0.0.1:{port}/"),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind().name(), "connect", "{err}");

    // Accepts but never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = silent.accept().await {
            conns.push(c);
        }
    });
    let err = client
        .request(
            &HttpSession::new(),
            Method::POST,
            &url.parse().unwrap(),
            None,
            Bytes::new(),
            Duration::from_millis(200),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind().name(), "timeout");
    hold.abort();
}
