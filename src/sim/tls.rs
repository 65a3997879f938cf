//! HTTPS for the simulator: a rustls server configuration from PEM files, so
//! load runs can exercise TLS against `agentload serve --tls-cert/--tls-key`.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::Error;

/// A TLS acceptor serving the certificate chain in `cert` (PEM, leaf first)
/// with the private key in `key` (PEM: PKCS#8, PKCS#1 or SEC1), over
/// HTTP/1.1 only (what long-polling clients speak).
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, Error> {
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| {
            Error::input(format!(
                "cannot read the TLS certificate {}: {e}; give a PEM file with BEGIN CERTIFICATE blocks",
                cert.display()
            ))
        })?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            Error::input(format!(
                "bad PEM in the TLS certificate {}: {e}",
                cert.display()
            ))
        })?;
    if chain.is_empty() {
        return Err(Error::input(format!(
            "the TLS certificate file {} holds no certificate; give a PEM file with BEGIN CERTIFICATE blocks",
            cert.display()
        )));
    }
    let private_key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        Error::input(format!(
            "cannot read a private key from {}: {e}; give a PEM file with a BEGIN PRIVATE KEY block",
            key.display()
        ))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::run(format!("cannot set up TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| {
            Error::input(format!(
                "the TLS key {} does not fit the certificate {}: {e}",
                key.display(),
                cert.display()
            ))
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(result: Result<TlsAcceptor, Error>) -> Error {
        match result {
            Ok(_) => panic!("accepted"),
            Err(e) => e,
        }
    }

    #[test]
    fn missing_and_mismatched_files_are_input_errors() {
        let dir = std::env::temp_dir().join(format!("agentload-simtls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let b = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
        let (cert, key, other_key) = (dir.join("c.pem"), dir.join("k.pem"), dir.join("o.pem"));
        std::fs::write(&cert, a.cert.pem()).unwrap();
        std::fs::write(&key, a.signing_key.serialize_pem()).unwrap();
        std::fs::write(&other_key, b.signing_key.serialize_pem()).unwrap();
        assert!(acceptor(&cert, &key).is_ok());
        let missing = error_of(acceptor(&dir.join("none.pem"), &key));
        assert_eq!(missing.exit_code(), 2);
        assert!(missing.to_string().contains("none.pem"), "{missing}");
        let no_key = error_of(acceptor(&cert, &cert));
        assert!(no_key.to_string().contains("private key"), "{no_key}");
        let mismatch = error_of(acceptor(&cert, &other_key));
        assert!(mismatch.to_string().contains("does not fit"), "{mismatch}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
