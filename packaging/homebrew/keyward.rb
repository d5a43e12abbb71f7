# Homebrew formula: builds keyward from the release's source archive (`git archive` of the
# tag); packaging/release.sh fills in @URL@, @SHA256@ and @HOMEPAGE@.
class Keyward < Formula
  desc "API tokens in the OS keychain, for every command-line tool"
  homepage "@HOMEPAGE@"
  url "@URL@"
  sha256 "@SHA256@"
  license any_of: ["MIT", "Apache-2.0"]

  depends_on "rust" => :build

  def install
    # One binary; each client's helper is a link to it (keyward answers to those names).
    system "cargo", "install", *std_cargo_args
    %w[git-credential docker-credential cargo-credential terraform-credentials vault-token-helper].each do |helper|
      bin.install_symlink "keyward" => "#{helper}-keyward"
    end
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
    # docker's: nothing stored, so docker's own not-found text and exit 1.
    assert_equal "credentials not found in native keychain\n",
                 pipe_output("#{bin}/docker-credential-keyward get", "127.0.0.1:5000", 1)
  end
end
