//! kubectl's exec credential plugin (`keyward kube-credential`): what kubectl sends in
//! `KUBERNETES_EXEC_INFO` and the `ExecCredential` keyward answers with (`wire`).

pub mod wire;
