//! kubectl's exec credential plugin (`keyward kube-credential`): what kubectl sends in
//! `KUBERNETES_EXEC_INFO` and the `ExecCredential` keyward answers with (`wire`), and
//! the kubeconfig users that run it (`config`).

pub(crate) mod config;
pub mod wire;
