//! TLS as libpq's sslmode says, against a throwaway PostgreSQL listening on the loopback
//! with a self-signed certificate.

mod common;

use std::process::Command;

use common::*;
use pgpolicy::embedded::{find_bin_dir, Cluster};
use pgpolicy::introspect::LiveDb;

fn ssl_in_use(url: &str) -> String {
    let db = LiveDb::connect(url).unwrap();
    db.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .unwrap()[0][0]
        .clone()
        .unwrap()
}

#[test]
fn sslmodes() {
    // A test CA and a server certificate it signs, for 127.0.0.1.
    let certs = tempfile::tempdir().unwrap();
    let p = |n: &str| certs.path().join(n).display().to_string();
    let (ca, cert, key) = (p("ca.pem"), p("cert.pem"), p("key.pem"));
    std::fs::write(p("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=pgpolicy test CA",
        "-keyout",
        &p("ca.key"),
        "-out",
        &ca,
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &key,
        "-out",
        &p("server.csr"),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("server.csr"),
        "-CA",
        &ca,
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &p("ext.cnf"),
        "-out",
        &cert,
    ]);
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if root {
        Command::new("chown")
            .arg("-R")
            .arg("postgres")
            .arg(certs.path())
            .status()
            .unwrap();
    }
    Command::new("chmod").arg("600").arg(&key).status().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cluster = Cluster::start_configured(
        &find_bin_dir().unwrap(),
        port,
        &[
            ("listen_addresses", "127.0.0.1"),
            ("ssl", "on"),
            ("ssl_cert_file", &cert),
            ("ssl_key_file", &key),
        ],
    )
    .unwrap();
    cluster.create_database("app").unwrap();
    cluster
        .psql(
            "app",
            "CREATE TABLE t (id int); ALTER TABLE t ENABLE ROW LEVEL SECURITY",
        )
        .unwrap();
    let base = format!("postgresql://postgres@127.0.0.1:{port}/app");

    assert_eq!(ssl_in_use(&format!("{base}?sslmode=disable")), "f");
    assert_eq!(
        ssl_in_use(&base),
        "t",
        "prefer encrypts when the server offers TLS"
    );
    assert_eq!(ssl_in_use(&format!("{base}?sslmode=require")), "t");
    let verified = format!("{base}?sslmode=verify-full&sslrootcert={ca}");
    assert_eq!(ssl_in_use(&verified), "t");
    // verify-full without the certificate's issuer among the roots is refused.
    let err = LiveDb::connect(&format!("{base}?sslmode=verify-full"))
        .err()
        .expect("unknown issuer refused");
    assert!(err.to_string().contains("cannot connect"), "{err}");
    assert!(LiveDb::connect(&format!("{base}?sslmode=bogus")).is_err());

    // The CLI over TLS.
    let out = cli_ok(&["inspect", &verified]);
    assert!(out.contains("\"enabled\": true"), "{out}");
}
