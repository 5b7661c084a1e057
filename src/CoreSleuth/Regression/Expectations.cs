using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CoreSleuth.Analysis;

namespace CoreSleuth.Regression;

/// <summary>
/// An expectation file "coresleuth.expect/1" (README, "Regression checks in CI"): facts about
/// one core's analysis that must hold, written as a subset of the report "coresleuth.analyze/2",
/// plus the inputs the analysis needs besides the core.
/// </summary>
/// <param name="Facts">Every top-level member that names a part of the report (findings, handles, threads, process, …).</param>
/// <param name="Exhaustive">Report arrays (findings, handles, threads) that may hold no element beyond the expected ones.</param>
public sealed record Expectations(
    ExpectationInputs Inputs,
    JsonObject Facts,
    IReadOnlyList<string> Exhaustive,
    string? Description)
{
    public const string SchemaName = "coresleuth.expect/1";

    /// <summary>The members that describe the file itself, not the report.</summary>
    public static readonly IReadOnlyList<string> OwnMembers = ["schema", "description", "inputs", "exhaustive"];

    /// <summary>The arrays <see cref="Exhaustive"/> may name.</summary>
    public static readonly IReadOnlyList<string> ExhaustiveArrays = ["findings", "handles", "threads"];

    /// <summary>The expectation file beside a core: <c>X.core</c> (or <c>X.core.gz</c>, <c>.zst</c>, <c>.xz</c>) → <c>X.expect.json</c>, any other name → <c>NAME.expect.json</c>.</summary>
    public static string PathFor(string corePath) => CoreCollection.Stem(corePath) + ".expect.json";

    /// <summary>Parses an expectation file's text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="ExpectationFormatException">Not JSON, wrong schema, or a member of the wrong shape.</exception>
    public static Expectations Parse(string json, string source)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new ExpectationFormatException($"{source}: not valid JSON: {ex.Message}");
        }
        if (root is not JsonObject obj) throw new ExpectationFormatException($"{source}: expected a JSON object at the top");

        string? schema = obj["schema"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        if (schema != SchemaName)
            throw new ExpectationFormatException($"{source}: \"schema\" must be \"{SchemaName}\", not {(obj["schema"] is { } n ? n.ToJsonString() : "missing")}");

        string? description = obj["description"] switch
        {
            null => null,
            JsonValue d when d.TryGetValue(out string? text) => text,
            _ => throw new ExpectationFormatException($"{source}: \"description\" must be a string"),
        };

        var inputs = ExpectationInputs.Parse(obj["inputs"], source);

        var exhaustive = new List<string>();
        if (obj["exhaustive"] is { } ex2)
        {
            if (ex2 is not JsonArray names) throw new ExpectationFormatException($"{source}: \"exhaustive\" must be an array of names");
            foreach (var name in names)
            {
                if (name is not JsonValue nv || !nv.TryGetValue(out string? text) || !ExhaustiveArrays.Contains(text))
                    throw new ExpectationFormatException($"{source}: \"exhaustive\" may name {string.Join(", ", ExhaustiveArrays.Select(a => $"\"{a}\""))}, not {name?.ToJsonString() ?? "null"}");
                if (!exhaustive.Contains(text)) exhaustive.Add(text);
            }
        }

        var facts = new JsonObject();
        foreach (var (name, value) in obj)
        {
            if (OwnMembers.Contains(name)) continue;
            facts[name] = value?.DeepClone();
        }
        if (facts["threads"] is { } threads)
        {
            if (threads is not JsonArray list) throw new ExpectationFormatException($"{source}: \"threads\" must be an array of objects with an \"lwp\"");
            var seen = new HashSet<long>();
            for (int i = 0; i < list.Count; i++)
            {
                if (list[i] is not JsonObject t || t["lwp"] is not JsonValue lwp || !lwp.TryGetValue(out long id))
                    throw new ExpectationFormatException($"{source}: threads[{i}] must be an object with a numeric \"lwp\" (threads are chosen by LWP)");
                if (!seen.Add(id)) throw new ExpectationFormatException($"{source}: threads[{i}]: LWP {id} is listed twice");
            }
        }
        foreach (string name in exhaustive)
            if (facts[name] is not JsonArray)
                throw new ExpectationFormatException($"{source}: \"exhaustive\" names \"{name}\", but the file has no \"{name}\" array");
        return new Expectations(inputs, facts, exhaustive, description);
    }

    /// <summary>Reads and parses the file at <paramref name="path"/>.</summary>
    /// <exception cref="ExpectationFormatException">Unreadable or malformed.</exception>
    public static Expectations Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ExpectationFormatException($"{path}: cannot read: {(ex is UnauthorizedAccessException ? "permission denied" : ex.Message)}");
        }
        return Parse(text, path);
    }
}

/// <summary>
/// The analysis inputs an expectation file names; paths are relative to the folder of the
/// expectation file, so a collection can move as a whole.
/// </summary>
public sealed record ExpectationInputs(string? InnodbStatus, string? Processlist, IReadOnlyList<ulong> Handles, string? Sysroot)
{
    public static readonly ExpectationInputs None = new(null, null, [], null);

    /// <summary>The JSON member, as it was written (kept verbatim by --update).</summary>
    public JsonObject? Source { get; init; }

    private const long MaxInputBytes = 64L << 20;

    /// <summary>
    /// The inputs of a core that has no expectation file yet: <c>X.innodb.txt</c>,
    /// <c>X.processlist.txt</c> and the folder <c>sysroot-X/</c> beside <c>X.core</c> (or <c>X.core.gz</c>, …), when they
    /// exist (the convention of samples/).
    /// </summary>
    public static ExpectationInputs Discover(string corePath)
    {
        string stem = CoreCollection.Stem(corePath);
        string folder = Path.GetDirectoryName(stem) ?? "";
        string name = Path.GetFileName(stem);
        string? innodb = File.Exists(stem + ".innodb.txt") ? name + ".innodb.txt" : null;
        string? processlist = File.Exists(stem + ".processlist.txt") ? name + ".processlist.txt" : null;
        string? sysroot = Directory.Exists(Path.Combine(folder, "sysroot-" + name)) ? "sysroot-" + name : null;
        if (innodb is null && processlist is null && sysroot is null) return None;
        var source = new JsonObject();
        if (innodb is not null) source["innodbStatus"] = innodb;
        if (processlist is not null) source["processlist"] = processlist;
        if (sysroot is not null) source["sysroot"] = sysroot;
        return new ExpectationInputs(innodb, processlist, [], sysroot) { Source = source };
    }

    internal static ExpectationInputs Parse(JsonNode? node, string source)
    {
        if (node is null) return None;
        if (node is not JsonObject obj) throw new ExpectationFormatException($"{source}: \"inputs\" must be an object");
        string? Text(string name) => obj[name] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out string? s) && s.Length > 0 => s,
            _ => throw new ExpectationFormatException($"{source}: inputs.{name} must be a path (a non-empty string)"),
        };
        foreach (var (name, _) in obj)
            if (name is not ("innodbStatus" or "processlist" or "handles" or "sysroot"))
                throw new ExpectationFormatException($"{source}: unknown input \"inputs.{name}\" (known: innodbStatus, processlist, handles, sysroot)");

        var handles = new List<ulong>();
        if (obj["handles"] is { } h)
        {
            if (h is not JsonArray list) throw new ExpectationFormatException($"{source}: inputs.handles must be an array of pthread_t values");
            for (int i = 0; i < list.Count; i++)
            {
                ulong? value = list[i] is JsonValue v ? ParseHandle(v) : null;
                if (value is null)
                    throw new ExpectationFormatException($"{source}: inputs.handles[{i}] must be a pthread_t: \"0x829e76000\" or 34405901312, not {list[i]?.ToJsonString() ?? "null"}");
                handles.Add(value.Value);
            }
        }
        return new ExpectationInputs(Text("innodbStatus"), Text("processlist"), handles, Text("sysroot")) { Source = (JsonObject)obj.DeepClone() };
    }

    private static ulong? ParseHandle(JsonValue v)
    {
        if (v.TryGetValue(out ulong n)) return n;
        if (!v.TryGetValue(out string? s)) return null;
        s = s.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && s.Length > 2 &&
            ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong hex)) return hex;
        return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ulong dec) ? dec : null;
    }

    /// <summary>The analysis options, with input files read relative to <paramref name="baseDirectory"/>.</summary>
    /// <exception cref="ExpectationFormatException">An input file or folder is missing or unreadable.</exception>
    public AnalysisOptions ToOptions(string baseDirectory)
    {
        string? Resolve(string? relative) => relative is null ? null : Path.GetFullPath(Path.Combine(baseDirectory, relative));
        string? sysroot = Resolve(Sysroot);
        if (sysroot is not null && !Directory.Exists(sysroot))
            throw new ExpectationFormatException($"inputs.sysroot {Sysroot}: no such directory (resolved to {sysroot})");
        return new AnalysisOptions
        {
            Handles = Handles,
            InnodbStatus = ReadText(Resolve(InnodbStatus), "innodbStatus", InnodbStatus),
            Processlist = ReadText(Resolve(Processlist), "processlist", Processlist),
            Sysroot = sysroot,
        };
    }

    private static string? ReadText(string? path, string name, string? written)
    {
        if (path is null) return null;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new ExpectationFormatException($"inputs.{name} {written}: no such file (resolved to {path})");
            if (info.Length > MaxInputBytes) throw new ExpectationFormatException($"inputs.{name} {written}: larger than {MaxInputBytes >> 20} MiB");
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ExpectationFormatException($"inputs.{name} {written}: {(ex is UnauthorizedAccessException ? "permission denied" : ex.Message)}");
        }
    }
}

/// <summary>An expectation file that cannot be used: the check of its core is an error, not a failure.</summary>
public sealed class ExpectationFormatException(string message) : Exception(message);
