using CoreSleuth.Cli;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// What a new user meets first: options a command does not have, outputs that cannot or must not
/// be written, values in the wrong form. Each is a usage error (exit 2) in one clear line, found
/// before any core is read.
/// </summary>
public sealed class CommandLineEdgeTests : IDisposable
{
    private const string Multithread = "lldb-x86-64-freebsd14-multithread.core";

    private readonly string folder = Directory.CreateTempSubdirectory("coresleuth-cli-edges-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string FileWith(string name, string text)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("bt")]
    [InlineData("regs")]
    public void A_malformed_lwp_is_named_in_plain_words(string command)
    {
        var r = Coresleuth.Run(command, "missing.core", "--lwp", "abc");
        Assert.Equal(Program.ExitUsage, r.ExitCode);
        Assert.StartsWith("coresleuth: --lwp: 'abc' is not an LWP number", r.Stderr);
        Assert.DoesNotContain("System.", r.Stderr);
    }

    [CorpusFact]
    public void An_lwp_can_be_given_in_hex()
    {
        var hex = Coresleuth.Run("regs", Corpus.Core(Multithread), "--lwp", "0x18988");
        var dec = Coresleuth.Run("regs", Corpus.Core(Multithread), "--lwp", "100744");
        Assert.True(hex.ExitCode == Program.ExitSuccess, hex.ToString());
        Assert.Equal(dec.Stdout, hex.Stdout);
    }

    [Fact]
    public void An_unknown_fail_on_kind_is_one_plain_line()
    {
        var r = Coresleuth.Run("analyze", "missing.core", "--fail-on", "foo");
        Assert.Equal(Program.ExitUsage, r.ExitCode);
        Assert.StartsWith("coresleuth: --fail-on must be fifo, not 'foo'\n", r.Stderr);
        Assert.DoesNotContain("\\n", r.Stderr);
        Assert.DoesNotContain("\\t", r.Stderr);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("99999999999")]
    public void A_malformed_jobs_count_is_a_usage_error(string jobs)
    {
        var r = Coresleuth.Run("check", folder, "--jobs", jobs);
        Assert.True(r.ExitCode == Program.ExitUsage, r.ToString());
        Assert.StartsWith($"coresleuth: --jobs must be a number between 1 and 1024, not '{jobs}'", r.Stderr);
    }
}
