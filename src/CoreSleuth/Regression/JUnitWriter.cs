using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

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

    public static XDocument Build(CheckRun run)
    {
        var cases = run.Results.Select(Case).ToList();
        int failures = run.Count(CheckOutcome.Fail), errors = run.Count(CheckOutcome.Error), skipped = run.Count(CheckOutcome.NoExpectations);
        string time = Seconds(run.Duration);
        var suite = new XElement("testsuite",
            new XAttribute("name", SuiteName),
            new XAttribute("tests", run.Results.Count),
            new XAttribute("failures", failures),
            new XAttribute("errors", errors),
            new XAttribute("skipped", skipped),
            new XAttribute("time", time),
            new XAttribute("timestamp", run.Started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)),
            cases);
        var suites = new XElement("testsuites",
            new XAttribute("name", SuiteName),
            new XAttribute("tests", run.Results.Count),
            new XAttribute("failures", failures),
            new XAttribute("errors", errors),
            new XAttribute("skipped", skipped),
            new XAttribute("time", time),
            suite);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites);
    }

    /// <summary>Writes the document as UTF-8 without a byte order mark.</summary>
    public static void Write(CheckRun run, Stream output)
    {
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, NewLineChars = "\n" };
        using var writer = XmlWriter.Create(output, settings);
        Build(run).Save(writer);
    }

    public static void WriteFile(CheckRun run, string path)
    {
        using var file = File.Create(path);
        Write(run, file);
    }

    private static XElement Case(CoreCheckResult r)
    {
        var element = new XElement("testcase",
            new XAttribute("classname", XmlText(r.Core.Folder)),
            new XAttribute("name", XmlText(r.Core.FileName)),
            new XAttribute("file", XmlText(r.Core.DisplayPath)),
            new XAttribute("time", Seconds(r.Duration)));
        string line = XmlText(r.Line);
        switch (r.Outcome)
        {
            case CheckOutcome.Fail:
                element.Add(new XElement("failure", new XAttribute("message", line), new XAttribute("type", "expectation"), XmlText(r.Details)));
                break;
            case CheckOutcome.Error:
                element.Add(new XElement("error", new XAttribute("message", line), new XAttribute("type", "unreadable"), XmlText(r.Details)));
                break;
            case CheckOutcome.NoExpectations:
                element.Add(new XElement("skipped", new XAttribute("message", $"no expectation file {Path.GetFileName(r.Core.ExpectationPath)}")));
                break;
        }
        return element;
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>XML 1.0 cannot hold most control characters even escaped; they may come from a core or an OS message.</summary>
    private static string XmlText(string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { sb.Append(c).Append(text[++i]); continue; }
            if (XmlConvert.IsXmlChar(c)) sb.Append(c);
            else sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        }
        return sb.ToString();
    }
}
