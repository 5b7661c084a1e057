using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CoreSleuth.Report;

namespace CoreSleuth.Regression;

/// <summary>
/// Writes expectation files from a report (<c>coresleuth check --update</c>): the findings, the
/// handle resolutions, and for each thread its wait message, syscall (name, state, path) and the
/// symbols of its top <see cref="TopFrames"/> frames. Members are written in a fixed order with
/// two-space indentation, so a refreshed file differs from the old one only where the analysis did.
/// </summary>
public static class ExpectationWriter
{
    public const int TopFrames = 3;

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The report as the JSON tree expectations are compared with (the "coresleuth.analyze/2" document).</summary>
    public static JsonNode ToJson(AnalysisReport report)
    {
        var text = new StringWriter();
        AnalysisJson.Write(report, text);
        return JsonNode.Parse(text.ToString()) ?? throw new InvalidOperationException("the report serialized to null");
    }

    /// <summary>
    /// The expectation document for <paramref name="report"/>. From <paramref name="previous"/> it keeps
    /// the description and the exhaustive list (default: findings and handles); <paramref name="inputs"/>
    /// (default: the previous file's) are written as they were given.
    /// </summary>
    public static JsonObject Build(AnalysisReport report, Expectations? previous, ExpectationInputs? inputs = null)
    {
        var doc = new JsonObject { ["schema"] = Expectations.SchemaName };
        if (previous?.Description is { } description) doc["description"] = description;
        if ((inputs ?? previous?.Inputs)?.Source is { } source) doc["inputs"] = source.DeepClone();
        var exhaustive = new JsonArray();
        foreach (string name in previous?.Exhaustive is { Count: > 0 } e ? e : ["findings", "handles"]) exhaustive.Add((JsonNode?)JsonValue.Create(name));
        doc["exhaustive"] = exhaustive;

        var findings = new JsonArray();
        foreach (var f in report.Findings)
        {
            findings.Add((JsonNode)new JsonObject
            {
                ["kind"] = f.Kind,
                ["lwp"] = f.Lwp,
                ["pthread"] = f.Pthread?.ToString(),
                ["path"] = f.Path,
                ["direction"] = f.Direction,
                ["confidence"] = f.Confidence,
                ["mysql"] = f.Mysql is { } m ? new JsonObject { ["threadId"] = m.ThreadId, ["queryId"] = m.QueryId, ["query"] = m.Query } : null,
            });
        }
        doc["findings"] = findings;

        var handles = new JsonArray();
        foreach (var h in report.Handles)
        {
            handles.Add((JsonNode)new JsonObject
            {
                ["handle"] = h.Handle.ToString(),
                ["status"] = h.Status,
                ["lwp"] = h.Lwp,
                ["source"] = h.Source,
                ["mysqlThreadId"] = h.MysqlThreadId,
            });
        }
        doc["handles"] = handles;

        var threads = new JsonArray();
        foreach (var t in report.Threads)
        {
            var frames = new JsonArray();
            foreach (var f in t.Frames.Take(TopFrames)) frames.Add((JsonNode)new JsonObject { ["symbol"] = f.Symbol });
            threads.Add((JsonNode)new JsonObject
            {
                ["lwp"] = t.Lwp,
                ["wait"] = t.Wait,
                ["syscall"] = t.Syscall is { } s ? new JsonObject { ["name"] = s.Name, ["state"] = s.State, ["path"] = s.Path } : null,
                ["frames"] = frames,
            });
        }
        doc["threads"] = threads;
        return doc;
    }

    /// <summary>Lines up to this width hold a whole object or array; longer ones are broken, one member per line.</summary>
    public const int LineWidth = 100;

    /// <summary>
    /// The document as the file's text: two-space indentation, a small object or array on one line
    /// (<c>{ "symbol": "open" }</c>) when it fits in <see cref="LineWidth"/> columns, LF line ends, a final newline.
    /// </summary>
    public static string Format(JsonObject document)
    {
        var sb = new StringBuilder();
        Append(sb, document, 0, topLevel: true);
        return sb.Append('\n').ToString();
    }

    private static void Append(StringBuilder sb, JsonNode? node, int indent, int? column = null, bool topLevel = false)
    {
        string oneLine = OneLine(node);
        if (node is JsonValue or null || (!topLevel && (column ?? indent) + oneLine.Length <= LineWidth))
        {
            sb.Append(oneLine);
            return;
        }
        string inner = new(' ', indent + 2);
        if (node is JsonObject obj)
        {
            sb.Append("{\n");
            int i = 0;
            foreach (var (name, value) in obj)
            {
                string key = JsonValue.Create(name).ToJsonString(Compact) + ": ";
                sb.Append(inner).Append(key);
                Append(sb, value, indent + 2, column: indent + 2 + key.Length);
                sb.Append(++i < obj.Count ? ",\n" : "\n");
            }
            sb.Append(' ', indent).Append('}');
        }
        else if (node is JsonArray array)
        {
            sb.Append("[\n");
            for (int i = 0; i < array.Count; i++)
            {
                sb.Append(inner);
                Append(sb, array[i], indent + 2);
                sb.Append(i + 1 < array.Count ? ",\n" : "\n");
            }
            sb.Append(' ', indent).Append(']');
        }
    }

    private static string OneLine(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject { Count: 0 } => "{}",
        JsonArray { Count: 0 } => "[]",
        JsonObject obj => "{ " + string.Join(", ", obj.Select(p => JsonValue.Create(p.Key).ToJsonString(Compact) + ": " + OneLine(p.Value))) + " }",
        JsonArray array => "[" + string.Join(", ", array.Select(OneLine)) + "]",
        _ => node.ToJsonString(Compact),
    };

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> (UTF-8, no BOM) unless the file already holds it; true when it was written.</summary>
    public static bool WriteIfChanged(string path, string text)
    {
        if (File.Exists(path) && File.ReadAllText(path) == text) return false;
        // Write beside the file and rename, so a failure never leaves half an expectation file.
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temporary, path, overwrite: true);
        return true;
    }
}
