using System.Globalization;
using System.Text.Json;
using CoreSleuth.Analysis;

namespace CoreSleuth.Report;

/// <summary>
/// What <c>coresleuth handle</c> reports: each handle's resolution and how pthread_t values were
/// found. The handles are sorted by value: the table is looked up by the handle the reader copied
/// from InnoDB status ("OS thread handle …") or a log, which every row has (an LWP only the live
/// ones). One value named twice (an argument that InnoDB status names too) keeps both rows,
/// arguments first.
/// </summary>
public sealed record HandlesReport(string Schema, ReportCore Core, ReportProcess Process, IReadOnlyList<ReportHandle> Handles, IReadOnlyList<string> Strategies, IReadOnlyList<string> Notes, IReadOnlyList<string> Warnings)
{
    public static HandlesReport Build(CoreAnalysis analysis, string path) =>
        // OrderBy is stable: rows of one value stay in the analysis's order (arguments, then InnoDB status, then processlist).
        new(ReportSchemas.Handles, ReportCore.Build(analysis.Core, path), ReportProcess.Build(analysis.Core),
            analysis.Handles.Select(ReportHandle.Build).OrderBy(h => h.Handle.Value).ToList(),
            analysis.Identity.StrategiesUsed.Select(AnalysisReport.StrategyName).ToList(), analysis.Identity.Notes, [.. analysis.Warnings]);

    public static void WriteText(HandlesReport r, TextWriter w)
    {
        var t = new TextTable(new("HANDLE", true), new("DECIMAL", true), new("STATUS"), new("LWP", true), new("THREAD"), new("SOURCE"), new("MYSQL_ID", true), new("REASON"));
        foreach (var h in r.Handles)
            t.Add(h.Handle.ToString(), h.Handle.Value.ToString(CultureInfo.InvariantCulture), h.Status, h.Lwp?.ToString(CultureInfo.InvariantCulture) ?? "-",
                h.ThreadIndex is { } i ? $"#{i} {TextSanitizer.Sanitize(h.ThreadName, 40)}".TrimEnd() : "-", h.Source,
                h.MysqlThreadId?.ToString(CultureInfo.InvariantCulture) ?? "-", TextSanitizer.SanitizeMessage(h.Reason, 300) is { Length: > 0 } reason ? reason : "-");
        t.Write(w);
        w.WriteLine();
        w.WriteLine($"pthread_t found by: {(r.Strategies.Count == 0 ? "nothing" : string.Join(", ", r.Strategies))}");
        foreach (var n in r.Notes) w.WriteLine($"  - {TextSanitizer.SanitizeMessage(n, 400)}");
        TextReport.WriteWarnings(r.Warnings, w);
    }

    public static void WriteJson(HandlesReport r, TextWriter w) => JsonText.Write(r, AnalysisJson.Context.HandlesReport, w);
}
