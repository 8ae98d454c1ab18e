//! Content hashes shared by model downloads and Hub publishing.

use sha1_smol::Sha1;

/// Git's blob id: SHA-1 of `blob <len>\0<content>`, hex. The Hub uses it as the id of regular
/// (non-LFS) files.
pub fn git_blob_sha1(data: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    h.digest().to_string()
}

/// SHA-256 of `data`, hex.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            super::git_blob_sha1(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }
}
