using System.Text.Json;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// bt's text prints why each walk stopped in full: on LLDB's stripped core the reasons name all
/// three methods (cfi, frame pointer, scan) and run past 300 characters; none may be cut.
/// </summary>
public class BtStopReasonTests
{
    [CorpusFact]
    public void Bt_text_prints_each_stop_reason_whole_as_the_json_has_it()
    {
        string core = Corpus.Core("lldb-x86-64-freebsd14-multithread.core");
        var text = Coresleuth.Run("bt", core);
        Assert.True(text.ExitCode == 0, text.ToString());
        var json = Coresleuth.Run("bt", core, "--format", "json");
        using var doc = JsonDocument.Parse(json.Stdout);
        var reasons = doc.RootElement.GetProperty("threads").EnumerateArray()
            .Select(t => t.GetProperty("unwindStop").GetString()).OfType<string>().ToList();
        var lines = text.Lines.Where(l => l.TrimStart().StartsWith("(walk stopped: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, lines.Count);
        Assert.Equal(reasons.Count, lines.Count);
        Assert.Contains(lines, l => l.Length > 300);
        for (int i = 0; i < lines.Count; i++)
        {
            Assert.DoesNotContain("…", lines[i]);
            Assert.Equal($"(walk stopped: {reasons[i]})", lines[i].Trim());
            // The scan's reason, the last of the three, is there to its end.
            Assert.EndsWith("lie past the end of the file (stripped or truncated core))", lines[i]);
        }
    }
}
