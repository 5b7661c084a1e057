using System.Globalization;
using CoreSleuth.Analysis;
using CoreSleuth.Report;
using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// Each thread's registers in the text report, four to a line, each its name padded to seven
/// (at least one space) and sixteen hex digits: what the x16 format makes of the report's values.
/// </summary>
public sealed class RegisterLinesTests
{
    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Every_thread_shows_its_registers_four_to_a_line(string name)
    {
        using var analysis = CoreAnalysis.Run(SampleSet.CorePath(name), new AnalysisOptions { Sysroot = SampleSet.Sysroot(name) });
        var report = AnalysisReport.Build(analysis, name);
        var text = new StringWriter { NewLine = "\n" };
        AnalysisText.Write(report, text);
        string written = text.ToString();
        Assert.NotEmpty(report.Threads);
        foreach (var t in report.Threads)
        {
            var cells = t.Registers.Select(r => "  " + r.Key + new string(' ', Math.Max(1, 7 - r.Key.Length)) + "0x" + r.Value.Value.ToString("x16", CultureInfo.InvariantCulture)).ToList();
            Assert.True(cells.Count > 4, $"LWP {t.Lwp}: {cells.Count} registers");
            var lines = cells.Chunk(4).Select(c => string.Concat(c) + "\n");
            string block = string.Concat(lines);
            Assert.Contains(block + "  backtrace:\n", written);
        }
    }
}
