using System.Diagnostics;
using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Model;

namespace CoreSleuth.Tests.Diagnosis;

/// <summary>The command the advice suggests names exactly the blocked path, whatever the core put in it.</summary>
public sealed class FifoAdviceTests
{
    [Theory]
    [InlineData("/tmp/ghost.fifo")]
    [InlineData("/tmp/it's.fifo")]
    [InlineData("/tmp/a b;rm -rf x`$(id)`.fifo")]
    public void TheSuggestedCommandNamesThePathForAPosixShell(string path)
    {
        foreach (var direction in new[] { OpenDirection.Read, OpenDirection.Write })
        {
            // The second piece of advice: "If PATH still exists, … e.g. `COMMAND` …".
            string advice = BlockedFifoOpen.Advise(path, direction)[1];
            int start = advice.LastIndexOf("e.g. `", StringComparison.Ordinal) + "e.g. `".Length;
            int end = direction == OpenDirection.Read ? advice.LastIndexOf("` (the statement", StringComparison.Ordinal) : advice.LastIndexOf("`.", StringComparison.Ordinal);
            string command = advice[start..end];
            string word = direction == OpenDirection.Read ? command[": > ".Length..] : command["cat ".Length..^" > /dev/null".Length];
            Assert.Equal(path, ShellUnquote(word));
        }
    }

    [Theory]
    [InlineData("/tmp/ghost.fifo")]
    [InlineData("/tmp/a b;rm -rf x`$(id)`.fifo")]
    public void On_a_kernel_core_the_command_that_checks_the_path_names_it_for_a_posix_shell(string path)
    {
        // The third piece of kernel advice: "Before restarting, check what is at the path: `ls -l WORD` …".
        string advice = BlockedFifoOpen.Advise(path, OpenDirection.Read, CoreProducer.Kernel, 6)[2];
        int start = advice.IndexOf("`ls -l ", StringComparison.Ordinal) + "`ls -l ".Length;
        Assert.Equal(path, ShellUnquote(advice[start..advice.LastIndexOf('`')]));
    }

    [Theory]
    [InlineData(OpenDirection.Read, "writer", "LOAD DATA INFILE")]
    [InlineData(OpenDirection.Write, "reader", "general_log_file")]
    public void A_kernel_core_gets_advice_for_the_restart_and_a_gcore_core_for_the_live_server(OpenDirection direction, string peer, string statement)
    {
        var kernel = BlockedFifoOpen.Advise("/tmp/x.fifo", direction, CoreProducer.Kernel, 6);
        Assert.Contains(kernel, a => a.Contains("died (it was ended by SIGABRT)", StringComparison.Ordinal));
        Assert.Contains(kernel, a => a.Contains(statement, StringComparison.Ordinal) && a.Contains($"needs a {peer}", StringComparison.Ordinal));
        // Nothing is left to release or kill: the live-server advice must not appear.
        Assert.DoesNotContain(kernel, a => a.Contains("SIGKILL", StringComparison.Ordinal) || a.Contains("releases the thread", StringComparison.Ordinal));

        foreach (var live in new[] { CoreProducer.Gcore, CoreProducer.Gdb, CoreProducer.Unknown })
        {
            var advice = BlockedFifoOpen.Advise("/tmp/x.fifo", direction, live);
            Assert.Contains(advice, a => a.Contains("releases the thread", StringComparison.Ordinal));
            Assert.Contains(advice, a => a.Contains("only killing the server with SIGKILL ends it", StringComparison.Ordinal));
        }
    }

    /// <summary>What /bin/sh makes of <paramref name="word"/>: printf '%s' WORD.</summary>
    private static string ShellUnquote(string word)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("printf '%s' " + word);
        using var sh = Process.Start(start)!;
        string output = sh.StandardOutput.ReadToEnd();
        sh.WaitForExit();
        return output;
    }
}
