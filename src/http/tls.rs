//! The rustls client configuration: system roots, extra CA file, or none.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::HttpError;

/// How the client verifies servers' certificates.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Accept any certificate (self-signed test servers). Never for production targets.
    pub insecure: bool,
    /// Extra PEM file of trusted roots, added to the system roots.
    pub ca_file: Option<PathBuf>,
}

pub(crate) fn client_config(opts: &TlsOptions) -> Result<ClientConfig, HttpError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| HttpError::TlsConfig(e.to_string()))?;
    if opts.insecure {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth());
    }
    let mut roots = RootCertStore::empty();
    // Unreadable system roots are not fatal: a CA file may be all we need.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = &opts.ca_file {
        add_ca_file(&mut roots, path)?;
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// Checks that `path` is a PEM file with at least one usable CA
/// certificate, as the run will read it, so a profile or flag naming any
/// other file is refused before anything starts.
pub fn check_ca_file(path: &Path) -> Result<(), HttpError> {
    add_ca_file(&mut RootCertStore::empty(), path)
}

fn add_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<(), HttpError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| HttpError::TlsConfig(format!("cannot read CA file {}: {e}", path.display())))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| HttpError::TlsConfig(format!("bad PEM in CA file {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(HttpError::TlsConfig(format!(
            "CA file {} holds no certificate; give a PEM file with BEGIN CERTIFICATE blocks",
            path.display()
        )));
    }
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(HttpError::TlsConfig(format!(
            "no usable certificate in CA file {}",
            path.display()
        )));
    }
    Ok(())
}

/// Accepts every server certificate but still checks handshake signatures.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
