using System.Diagnostics;
using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.FreeBsd.Syscalls;

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
