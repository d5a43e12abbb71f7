//! terraform's credentials helper (`terraform-credentials-keyward get|store|forget HOST`):
//! the verbs, hosts and JSON terraform speaks (`wire`).

pub mod wire;
