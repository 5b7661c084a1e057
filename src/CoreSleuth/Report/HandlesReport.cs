using System.Globalization;
using System.Text.Json;
using CoreSleuth.Analysis;

namespace CoreSleuth.Report;

/// <summary>What <c>coresleuth handle</c> reports: each handle's resolution and how pthread_t values were found.</summary>
public sealed record HandlesReport(string Schema, ReportCore Core, ReportProcess Process, IReadOnlyList<ReportHandle> Handles, IReadOnlyList<string> Strategies, IReadOnlyList<string> Notes, IReadOnlyList<string> Warnings)
{
    public static HandlesReport Build(CoreAnalysis analysis, string path) =>
        new(ReportSchemas.Handles, ReportCore.Build(analysis.Core, path), ReportProcess.Build(analysis.Core), analysis.Handles.Select(ReportHandle.Build).ToList(),
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
        if (r.Warnings.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("Warnings:");
            foreach (var warning in r.Warnings) w.WriteLine($"  - {TextSanitizer.SanitizeMessage(warning, 600)}");
        }
    }

    public static void WriteJson(HandlesReport r, TextWriter w) => JsonText.Write(r, AnalysisJson.Context.HandlesReport, w);
}
