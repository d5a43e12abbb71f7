//! Bring-your-own keys: the providers whose SDKs and tools read a key from a well-known
//! variable, so a secret named after one is exported under that name, and the spellings
//! (`anthropicApiKey`, `anthropic_api_key`) that mean the same secret.

/// Provider secret name → the variable its SDKs and tools read. One table: `secret_env_var`
/// and the spellings both come from it.
const PROVIDERS: &[(&str, &str)] = &[
    ("anthropic", "ANTHROPIC_API_KEY"),
    ("assemblyai", "ASSEMBLYAI_API_KEY"),
    ("cohere", "COHERE_API_KEY"),
    ("deepgram", "DEEPGRAM_API_KEY"),
    ("deepseek", "DEEPSEEK_API_KEY"),
    ("elevenlabs", "ELEVENLABS_API_KEY"),
    ("exa", "EXA_API_KEY"),
    ("firecrawl", "FIRECRAWL_API_KEY"),
    ("fireworks", "FIREWORKS_API_KEY"),
    ("gemini", "GEMINI_API_KEY"),
    ("groq", "GROQ_API_KEY"),
    ("huggingface", "HF_TOKEN"),
    ("mistral", "MISTRAL_API_KEY"),
    ("openai", "OPENAI_API_KEY"),
    ("openrouter", "OPENROUTER_API_KEY"),
    ("perplexity", "PERPLEXITY_API_KEY"),
    ("pinecone", "PINECONE_API_KEY"),
    ("replicate", "REPLICATE_API_TOKEN"),
    ("serper", "SERPER_API_KEY"),
    ("tavily", "TAVILY_API_KEY"),
    ("together", "TOGETHER_API_KEY"),
    ("voyage", "VOYAGE_API_KEY"),
    ("xai", "XAI_API_KEY"),
];

/// The variable a provider's key is read from, when `secret` names a known provider.
pub fn provider_env(secret: &str) -> Option<&'static str> {
    PROVIDERS
        .iter()
        .find(|(name, _)| *name == secret)
        .map(|(_, var)| *var)
}

/// The secret name a spelling means: camelCase becomes kebab-case (`pipIndexUrl` →
/// `pip-index-url`), and a known provider's `<name>ApiKey`, `<name>_api_key` or
/// `<name>-api-key` is the provider's name (`anthropicApiKey` → `anthropic`). Anything
/// else is returned as given, for the name check to judge.
pub fn canonical_secret_name(spelling: &str) -> String {
    // camelCase only: `GitHub` stays as typed (and is refused as a name, as before).
    let camel = spelling.starts_with(|c: char| c.is_ascii_lowercase());
    if !camel
        || !spelling
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return spelling.to_string();
    }
    let mut kebab = String::with_capacity(spelling.len() + 4);
    for (i, c) in spelling.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                kebab.push('-');
            }
            kebab.push(c.to_ascii_lowercase());
        } else {
            kebab.push(c);
        }
    }
    for suffix in ["-api-key", "_api_key"] {
        if let Some(stem) = kebab.strip_suffix(suffix)
            && provider_env(stem).is_some()
        {
            return stem.to_string();
        }
    }
    kebab
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_a_provider_are_its_name() {
        for s in [
            "anthropic",
            "anthropicApiKey",
            "anthropic_api_key",
            "anthropic-api-key",
        ] {
            assert_eq!(canonical_secret_name(s), "anthropic", "{s}");
        }
        assert_eq!(canonical_secret_name("pipIndexUrl"), "pip-index-url");
        assert_eq!(canonical_secret_name("github_token"), "github_token");
        // Not a provider: the suffix is part of the name.
        assert_eq!(canonical_secret_name("acme_api_key"), "acme_api_key");
        assert_eq!(canonical_secret_name("Bad Name"), "Bad Name");
        assert_eq!(canonical_secret_name("GitHub"), "GitHub");
        assert_eq!(provider_env("openai"), Some("OPENAI_API_KEY"));
        assert_eq!(provider_env("github-token"), None);
    }
}
