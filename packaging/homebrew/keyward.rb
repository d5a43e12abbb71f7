# Homebrew formula: builds keyward from its published crate source.
# The release process replaces VERSION and SHA256 below.
class Keyward < Formula
  desc "API tokens in the OS keychain, for every command-line tool"
  homepage "https://crates.io/crates/keyward"
  url "https://static.crates.io/crates/keyward/keyward-0.1.0.crate"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license any_of: ["MIT", "Apache-2.0"]

  depends_on "rust" => :build

  def install
    # One binary; git-credential-keyward is a link to it (keyward answers to that name).
    system "cargo", "install", *std_cargo_args
    bin.install_symlink "keyward" => "git-credential-keyward"
    system bin/"keyward", "generate", "man", buildpath/"man"
    man1.install Dir[buildpath/"man/*.1"]
    generate_completions_from_executable(bin/"keyward", "completions")
    doc.install "README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/keyward --version")
    ENV["KEYWARD_HOME"] = testpath/"kw"
    pipe_output("#{bin}/keyward --backend file -s demo login --with-token", "sk_test_0123456789abcdef\n", 0)
    assert_equal "sk_test_0123456789abcdef\n", shell_output("#{bin}/keyward -s demo token")
    # git's helper protocol: nothing stored for this host, so nothing printed and exit 0.
    assert_equal "", pipe_output("#{bin}/git-credential-keyward get", "protocol=https\nhost=example.com\n", 0)
  end
end
