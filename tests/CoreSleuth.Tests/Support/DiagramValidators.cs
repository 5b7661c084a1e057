using System.Diagnostics;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace CoreSleuth.Tests.Support;

/// <summary>
/// Independent referees for the report's diagrams: Mermaid's own parser (the npm package, run by
/// node through <c>tests/diagram-check/check-mermaid.mjs</c>) and Graphviz's <c>dot</c>. They are
/// not part of the .NET build: <c>.ci/run</c> installs Graphviz and runs <c>npm ci</c> in
/// tests/diagram-check, and elsewhere the tests that need them are skipped with
/// <see cref="MermaidMissingReason"/> or <see cref="DotMissingReason"/>, as the LLDB tests are.
/// </summary>
public static class DiagramValidators
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static readonly Lazy<string?> checkDirectory = new(FindCheckDirectory);
    private static readonly Lazy<string?> node = new(() => Tools.FindOnPath("node"));
    private static readonly Lazy<string?> dot = new(() => Tools.FindOnPath("dot"));

    /// <summary>Why Mermaid diagrams cannot be checked here, or null when they can.</summary>
    public static string? MermaidMissingReason =>
        checkDirectory.Value is null ? "tests/diagram-check is not found above the test assembly"
        : node.Value is null ? "node is not on PATH (the Mermaid checks run Mermaid's parser in node; .ci/run has it)"
        : !File.Exists(Path.Combine(checkDirectory.Value, "node_modules", "mermaid", "package.json"))
            ? "tests/diagram-check/node_modules is not installed (run `npm ci` there; .ci/run does)"
        : null;

    /// <summary>Why DOT graphs cannot be checked here, or null when they can.</summary>
    public static string? DotMissingReason =>
        dot.Value is null ? "Graphviz dot is not on PATH (apt-get install graphviz; .ci/run installs it)" : null;

    /// <summary>Mermaid's parse error for <paramref name="diagram"/>, or null when it is valid.</summary>
    public static string? MermaidErrors(string diagram) => CheckMermaid([diagram])[0].Error;

    /// <summary>The parse error of each diagram (null = valid), in one node run.</summary>
    public static IReadOnlyList<string?> MermaidErrors(IReadOnlyList<string> diagrams) =>
        CheckMermaid(diagrams).Select(r => r.Error).ToList();

    /// <summary>
    /// Parses each diagram with Mermaid in one node run and, for a valid flowchart, gives its nodes
    /// and edges with the text each label shows once Mermaid's renderer has processed it.
    /// </summary>
    public static IReadOnlyList<MermaidResult> CheckMermaid(IReadOnlyList<string> diagrams)
    {
        string directory = checkDirectory.Value ?? throw new InvalidOperationException(MermaidMissingReason);
        string nodePath = node.Value ?? throw new InvalidOperationException(MermaidMissingReason);
        var run = Run(nodePath, ["check-mermaid.mjs", "--json"], JsonSerializer.Serialize(diagrams), directory);
        if (run.ExitCode is not (0 or 1))
            throw new InvalidOperationException($"check-mermaid.mjs exited with {run.ExitCode}: {run.StdErr}");
        using var json = JsonDocument.Parse(run.StdOut);
        var results = json.RootElement.EnumerateArray().Select(ReadMermaidResult).ToList();
        if (results.Count != diagrams.Count)
            throw new InvalidOperationException($"check-mermaid.mjs answered for {results.Count} of {diagrams.Count} diagrams");
        return results;
    }

    /// <summary>Graphviz's complaints about <paramref name="dotText"/> (errors and warnings), or null when it draws cleanly.</summary>
    public static string? DotErrors(string dotText) => DrawDot(dotText).Error;

    /// <summary>Draws <paramref name="dotText"/> with <c>dot -Tsvg</c> and reads back the text of each node and edge.</summary>
    public static DotDrawing DrawDot(string dotText)
    {
        string dotPath = dot.Value ?? throw new InvalidOperationException(DotMissingReason);
        var run = Run(dotPath, ["-Tsvg"], dotText, workingDirectory: null);
        if (run.ExitCode != 0 || run.StdErr.Trim().Length > 0)
            return new DotDrawing($"dot exited with {run.ExitCode}: {run.StdErr.Trim()}", [], []);
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(run.StdOut), settings);
        XNamespace svg = "http://www.w3.org/2000/svg";
        var groups = XDocument.Load(reader).Descendants(svg + "g").ToList();
        List<DotElement> Elements(string kind) => groups
            .Where(g => (string?)g.Attribute("class") == kind)
            .Select(g => new DotElement(g.Element(svg + "title")?.Value ?? "", string.Join("\n", g.Elements(svg + "text").Select(t => t.Value))))
            .ToList();
        return new DotDrawing(null, Elements("node"), Elements("edge"));
    }

    private static MermaidResult ReadMermaidResult(JsonElement r)
    {
        if (!r.GetProperty("valid").GetBoolean())
            return new MermaidResult(r.GetProperty("error").GetString() ?? "invalid", [], []);
        static MermaidLabel Label(JsonElement e) => new(
            e.GetProperty("text").GetString() ?? "",
            e.GetProperty("parsed").GetString() ?? "",
            e.GetProperty("notes").EnumerateArray().Select(n => n.GetString() ?? "").ToList());
        var nodes = r.TryGetProperty("vertices", out var v)
            ? v.EnumerateArray().Select(e => new MermaidNode(e.GetProperty("id").GetString() ?? "", Label(e))).ToList() : [];
        var edges = r.TryGetProperty("edges", out var es)
            ? es.EnumerateArray().Select(e => new MermaidEdge(e.GetProperty("start").GetString() ?? "", e.GetProperty("end").GetString() ?? "", Label(e))).ToList() : [];
        return new MermaidResult(null, nodes, edges);
    }

    private sealed record ProcessRun(int ExitCode, string StdOut, string StdErr);

    private static ProcessRun Run(string tool, IEnumerable<string> arguments, string stdin, string? workingDirectory)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new System.Text.UTF8Encoding(false),
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardErrorEncoding = System.Text.Encoding.UTF8,
        };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {tool}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(Timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(tool)} did not finish within {Timeout.TotalSeconds} s");
        }
        return new ProcessRun(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string? FindCheckDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "diagram-check");
            if (File.Exists(Path.Combine(dir.FullName, "CoreSleuth.sln")))
                return File.Exists(Path.Combine(candidate, "check-mermaid.mjs")) ? candidate : null;
        }
        return null;
    }
}

/// <summary>
/// What Mermaid made of a label: <paramref name="Text"/> as its renderer shows it,
/// <paramref name="Parsed"/> as the parser stored it, and <paramref name="Notes"/>, what else the
/// renderer would draw from it ("line break", "katex", "icon", "element &lt;b&gt;").
/// </summary>
public sealed record MermaidLabel(string Text, string Parsed, IReadOnlyList<string> Notes);

public sealed record MermaidNode(string Id, MermaidLabel Label);

public sealed record MermaidEdge(string Start, string End, MermaidLabel Label);

/// <summary>One diagram's outcome: <paramref name="Error"/> is null when Mermaid parsed it.</summary>
public sealed record MermaidResult(string? Error, IReadOnlyList<MermaidNode> Nodes, IReadOnlyList<MermaidEdge> Edges);

/// <summary>A drawn node or edge: its SVG title (node id, or "a->b") and its label's lines.</summary>
public sealed record DotElement(string Title, string Text);

/// <summary>What <c>dot -Tsvg</c> drew; <paramref name="Error"/> is null when it drew without complaint.</summary>
public sealed record DotDrawing(string? Error, IReadOnlyList<DotElement> Nodes, IReadOnlyList<DotElement> Edges);

/// <summary>A fact that needs Mermaid's parser in node; skipped with the reason when it is absent.</summary>
public sealed class MermaidFactAttribute : FactAttribute
{
    public MermaidFactAttribute()
    {
        if (DiagramValidators.MermaidMissingReason is { } reason) Skip = reason;
    }
}

/// <summary>A fact that needs Graphviz dot; skipped with the reason when it is absent.</summary>
public sealed class DotFactAttribute : FactAttribute
{
    public DotFactAttribute()
    {
        if (DiagramValidators.DotMissingReason is { } reason) Skip = reason;
    }
}
