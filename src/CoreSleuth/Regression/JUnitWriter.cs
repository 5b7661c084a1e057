using System.Globalization;
using System.Text;

namespace CoreSleuth.Regression;

/// <summary>
/// A check run as JUnit XML, the dialect GitHub (test-reporting actions), GitLab
/// (<c>artifacts:reports:junit</c>) and Jenkins (<c>junit</c> step) read: one
/// <c>&lt;testsuite&gt;</c> per run inside <c>&lt;testsuites&gt;</c>, one <c>&lt;testcase&gt;</c>
/// per core with classname = its folder and name = its file name; a failed core has a
/// <c>&lt;failure&gt;</c>, a core that could not be checked an <c>&lt;error&gt;</c>, a core
/// without expectations is <c>&lt;skipped&gt;</c>.
/// </summary>
public static class JUnitWriter
{
    public const string SuiteName = "coresleuth check";

    // Written by hand rather than with System.Xml: the format is small and fixed, and leaving
    // System.Private.Xml out keeps the native binary about a megabyte smaller.

    /// <summary>The document's text: UTF-8 declared, two-space indentation, LF line ends.</summary>
    public static string Build(CheckRun run)
    {
        int failures = run.Count(CheckOutcome.Fail), errors = run.Count(CheckOutcome.Error), skipped = run.Count(CheckOutcome.NoExpectations);
        string counts = $"tests=\"{run.Results.Count}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{Seconds(run.Duration)}\"";
        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<testsuites name=\"{SuiteName}\" {counts}>\n");
        sb.Append(CultureInfo.InvariantCulture, $"  <testsuite name=\"{SuiteName}\" {counts} timestamp=\"{run.Started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)}\">\n");
        foreach (var r in run.Results) AppendCase(sb, r);
        sb.Append("  </testsuite>\n</testsuites>\n");
        return sb.ToString();
    }

    /// <summary>Writes the document as UTF-8 without a byte order mark.</summary>
    public static void Write(CheckRun run, Stream output)
    {
        var bytes = new UTF8Encoding(false).GetBytes(Build(run));
        output.Write(bytes);
    }

    public static void WriteFile(CheckRun run, string path)
    {
        using var file = File.Create(path);
        Write(run, file);
    }

    private static void AppendCase(StringBuilder sb, CoreCheckResult r)
    {
        sb.Append(CultureInfo.InvariantCulture,
            $"    <testcase classname=\"{Escape(r.Core.Folder)}\" name=\"{Escape(r.Core.FileName)}\" file=\"{Escape(r.Core.DisplayPath)}\" time=\"{Seconds(r.Duration)}\"");
        string? child = r.Outcome switch
        {
            CheckOutcome.Fail => $"<failure message=\"{Escape(r.Line)}\" type=\"expectation\">{Escape(r.Details)}</failure>",
            CheckOutcome.Error => $"<error message=\"{Escape(r.Line)}\" type=\"unreadable\">{Escape(r.Details)}</error>",
            CheckOutcome.NoExpectations => $"<skipped message=\"{Escape($"no expectation file {Path.GetFileName(r.Core.ExpectationPath)}")}\" />",
            _ => null,
        };
        if (child is null) sb.Append(" />\n");
        else sb.Append(">\n      ").Append(child).Append("\n    </testcase>\n");
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>
    /// Text for an attribute value or element content: markup characters as entities; characters
    /// XML 1.0 cannot hold even escaped (most controls, lone surrogates; they may come from a core
    /// or an OS message) as <c>\uXXXX</c>; tab and line feed as character references so attribute
    /// values keep them.
    /// </summary>
    internal static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); continue;
                case '<': sb.Append("&lt;"); continue;
                case '>': sb.Append("&gt;"); continue;
                case '"': sb.Append("&quot;"); continue;
                case '\'': sb.Append("&apos;"); continue;
                case '\n': sb.Append("&#10;"); continue;
                case '\t': sb.Append("&#9;"); continue;
                case '\r': sb.Append("&#13;"); continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { sb.Append(c).Append(text[++i]); continue; }
            bool allowed = c >= 0x20 && !char.IsSurrogate(c) && c != '\uFFFE' && c != '\uFFFF';
            if (allowed) sb.Append(c);
            else sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        }
        return sb.ToString();
    }
}
