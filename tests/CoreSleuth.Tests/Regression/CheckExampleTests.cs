using System.Text.RegularExpressions;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Regression;

/// <summary>The example of docs/check.md is what <c>coresleuth check</c> prints.</summary>
public partial class CheckExampleTests
{
    [CorpusFact]
    public void TheCheckExampleIsTheRealOutput()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "check.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var run = RunBlock().Match(readme);
        Assert.True(run.Success, "docs/check.md has no example of coresleuth check cores/");
        var expect = ExpectBlock().Match(readme);
        Assert.True(expect.Success, "docs/check.md does not show lldb-x86-64-freebsd13.expect.json");

        // The setup the page describes: expectations from --update, then LWP 100745 said to wait on fifoor.
        using var f = new CheckFolder();
        f.CopyCorpusCore("lldb-x86-64-freebsd13.core", "cores/kernel/lldb-x86-64-freebsd13.core");
        f.CopyCorpusCore("lldb-x86-64-freebsd14-multithread.core", "cores/kernel/lldb-x86-64-freebsd14-multithread.core");
        f.CopyCorpusCore("bsi-01c3190a.core", "cores/other/bsi-01c3190a.core");
        f.CopyCorpusCore("lldb-i386-freebsd13.core", "cores/other/lldb-i386-freebsd13.core");
        Assert.Equal(0, Tests.Cli.Coresleuth.Run("check", f.PathOf("cores/kernel"), "--update").ExitCode);
        string changed = f.PathOf("cores/kernel/lldb-x86-64-freebsd14-multithread.expect.json");
        string text = File.ReadAllText(changed);
        Assert.Contains("{ \"lwp\": 100745, \"wait\": null", text);
        File.WriteAllText(changed, text.Replace("{ \"lwp\": 100745, \"wait\": null", "{ \"lwp\": 100745, \"wait\": \"fifoor\""));

        var r = Tests.Cli.Coresleuth.Run("check", f.PathOf("cores") + "/", "--junit", f.PathOf("TestResults/cores-junit.xml"));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(run.Groups[1].Value, r.Stdout.Replace(f.Root.Replace('\\', '/') + "/", "", StringComparison.Ordinal));
        Assert.Equal(expect.Groups[1].Value, File.ReadAllText(f.PathOf("cores/kernel/lldb-x86-64-freebsd13.expect.json")));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln"))) return dir.FullName;
        throw new InvalidOperationException("CoreSleuth.sln not found above the test assembly");
    }

    [GeneratedRegex(@"```console\n\$ coresleuth check cores/ --junit TestResults/cores-junit.xml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex RunBlock();

    [GeneratedRegex(@"with `cores/kernel/lldb-x86-64-freebsd13.expect.json` as `--update` wrote it:\n\n```json\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ExpectBlock();
}
