using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CoreSleuth.Regression;

/// <summary>One fact that does not hold: the field path in the expectation, both values JSON-encoded.</summary>
public sealed record Mismatch(string Field, string Expected, string Actual, string? Note = null)
{
    public override string ToString() => $"{Field}: expected {Expected}, got {Actual}{(Note is null ? "" : $" ({Note})")}";
}

/// <summary>
/// Compares expected facts with a report's JSON, naming only what the expectation names:
/// members not named are not compared; <c>findings</c> and <c>handles</c> match as sets (each
/// expected element must match a distinct actual element); <c>threads</c> are chosen by
/// <c>lwp</c>; a thread's <c>frames</c> compare as a prefix of its backtrace; any other array
/// compares element by element and must have the same length.
/// </summary>
public static class PartialMatcher
{
    private const int MaxValueLength = 160;

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = false };

    /// <summary>Every fact of <paramref name="expected"/> that <paramref name="report"/> (the report's JSON) does not bear out, in the expectation's order.</summary>
    public static IReadOnlyList<Mismatch> Compare(JsonObject expected, JsonNode report, IReadOnlyCollection<string>? exhaustive = null)
    {
        var mismatches = new List<Mismatch>();
        var root = report as JsonObject;
        foreach (var (name, value) in expected)
        {
            if (root is null || !root.TryGetPropertyValue(name, out var actual))
            {
                mismatches.Add(new Mismatch(name, Encode(value), "(absent)", "the report has no such field"));
                continue;
            }
            bool complete = exhaustive?.Contains(name) == true;
            switch (name)
            {
                case "findings" or "handles" when value is JsonArray set:
                    CompareSet(name, set, actual, complete, mismatches);
                    break;
                case "threads" when value is JsonArray threads:
                    CompareThreads(threads, actual, complete, mismatches);
                    break;
                default:
                    CompareNode(name, value, actual, mismatches);
                    break;
            }
        }
        return mismatches;
    }

    /// <summary>Structural comparison; arrays by position (equal length), objects by the expected members.</summary>
    private static void CompareNode(string path, JsonNode? expected, JsonNode? actual, List<Mismatch> mismatches, bool prefixArrays = false)
    {
        switch (expected)
        {
            case JsonObject obj:
                if (actual is not JsonObject actualObj)
                {
                    mismatches.Add(new Mismatch(path, Encode(expected), Encode(actual)));
                    return;
                }
                foreach (var (name, value) in obj)
                {
                    string field = $"{path}.{name}";
                    if (!actualObj.TryGetPropertyValue(name, out var member))
                        mismatches.Add(new Mismatch(field, Encode(value), "(absent)", "the report has no such field"));
                    else if (name == "frames" && value is JsonArray frames)
                        CompareArray(field, frames, member, mismatches, prefix: true);
                    else
                        CompareNode(field, value, member, mismatches);
                }
                return;
            case JsonArray array:
                CompareArray(path, array, actual, mismatches, prefixArrays);
                return;
            default:
                if (!ScalarEquals(expected, actual)) mismatches.Add(new Mismatch(path, Encode(expected), Encode(actual)));
                return;
        }
    }

    private static void CompareArray(string path, JsonArray expected, JsonNode? actual, List<Mismatch> mismatches, bool prefix)
    {
        if (actual is not JsonArray list)
        {
            mismatches.Add(new Mismatch(path, Encode(expected), Encode(actual)));
            return;
        }
        if (!prefix && list.Count != expected.Count)
        {
            mismatches.Add(new Mismatch(path, Encode(expected), Encode(list), $"{Count(expected.Count, "element")} expected, {list.Count} found"));
            return;
        }
        for (int i = 0; i < expected.Count; i++)
        {
            if (i >= list.Count)
            {
                mismatches.Add(new Mismatch($"{path}[{i}]", Encode(expected[i]), "(absent)", $"the report has only {Count(list.Count, "element")}"));
                return;
            }
            CompareNode($"{path}[{i}]", expected[i], list[i], mismatches);
        }
    }

    /// <summary>
    /// Each expected element must match a distinct actual element (a maximum bipartite matching,
    /// so the order of either side does not matter). An unmatched element is reported against
    /// the closest actual element: the one with the fewest differences, preferring a free one.
    /// </summary>
    private static void CompareSet(string path, JsonArray expected, JsonNode? actual, bool exhaustive, List<Mismatch> mismatches)
    {
        if (actual is not JsonArray list)
        {
            mismatches.Add(new Mismatch(path, Encode(expected), Encode(actual)));
            return;
        }
        var differences = new List<Mismatch>[expected.Count, list.Count];
        for (int i = 0; i < expected.Count; i++)
            for (int j = 0; j < list.Count; j++)
            {
                var d = new List<Mismatch>();
                CompareNode($"{path}[{i}]", expected[i], list[j], d);
                differences[i, j] = d;
            }

        int[] matchOfActual = Enumerable.Repeat(-1, list.Count).ToArray();
        int[] matchOfExpected = Enumerable.Repeat(-1, expected.Count).ToArray();
        for (int i = 0; i < expected.Count; i++)
            TryAugment(i, new bool[list.Count], differences, matchOfActual);
        for (int j = 0; j < list.Count; j++)
            if (matchOfActual[j] >= 0) matchOfExpected[matchOfActual[j]] = j;

        for (int i = 0; i < expected.Count; i++)
        {
            if (matchOfExpected[i] >= 0) continue;
            if (list.Count == 0)
            {
                mismatches.Add(new Mismatch($"{path}[{i}]", Encode(expected[i]), "(absent)", $"the report has no {path}"));
                continue;
            }
            int best = Enumerable.Range(0, list.Count)
                .OrderBy(j => matchOfActual[j] >= 0 ? 1 : 0)
                .ThenBy(j => differences[i, j].Count)
                .ThenBy(j => j == i ? 0 : 1)
                .ThenBy(j => j)
                .First();
            if (differences[i, best].Count == 0)
            {
                // Every element it matches is taken by another expected element.
                mismatches.Add(new Mismatch($"{path}[{i}]", Encode(expected[i]), "(absent)",
                    $"the report's {path}[{best}] matches it but already matches {path}[{matchOfActual[best]}]; each expected element needs its own"));
                continue;
            }
            string? note = best == i ? null : $"closest: the report's {path}[{best}]";
            if (matchOfActual[best] >= 0) note = $"closest: the report's {path}[{best}], which already matches {path}[{matchOfActual[best]}]";
            foreach (var d in differences[i, best])
                mismatches.Add(note is null ? d : d with { Note = d.Note is null ? note : $"{d.Note}; {note}" });
        }

        if (exhaustive && list.Count > expected.Count)
        {
            var extra = Enumerable.Range(0, list.Count).Where(j => matchOfActual[j] < 0).ToList();
            mismatches.Add(new Mismatch(path, Count(expected.Count, "element"), Count(list.Count, "element"),
                $"\"exhaustive\": not expected: {string.Join(", ", extra.Take(3).Select(j => $"{path}[{j}] {Summarize(list[j])}"))}{(extra.Count > 3 ? ", …" : "")}"));
        }
    }

    /// <summary>Kuhn's augmenting path: finds a distinct actual element for expected element <paramref name="i"/>.</summary>
    private static bool TryAugment(int i, bool[] visited, List<Mismatch>[,] differences, int[] matchOfActual)
    {
        for (int j = 0; j < matchOfActual.Length; j++)
        {
            if (visited[j] || differences[i, j].Count > 0) continue;
            visited[j] = true;
            if (matchOfActual[j] < 0 || TryAugment(matchOfActual[j], visited, differences, matchOfActual))
            {
                matchOfActual[j] = i;
                return true;
            }
        }
        return false;
    }

    /// <summary>Threads are chosen by LWP; the field path names the LWP, e.g. <c>threads[lwp=100460].wait</c>.</summary>
    private static void CompareThreads(JsonArray expected, JsonNode? actual, bool exhaustive, List<Mismatch> mismatches)
    {
        if (actual is not JsonArray list)
        {
            mismatches.Add(new Mismatch("threads", Encode(expected), Encode(actual)));
            return;
        }
        var byLwp = new Dictionary<long, JsonObject>();
        foreach (var t in list.OfType<JsonObject>())
            if (Integer(t["lwp"]) is { } lwp) byLwp.TryAdd(lwp, t);

        var named = new HashSet<long>();
        for (int i = 0; i < expected.Count; i++)
        {
            if (expected[i] is not JsonObject e || Integer(e["lwp"]) is not { } lwp)
            {
                mismatches.Add(new Mismatch($"threads[{i}]", Encode(expected[i]), "(not compared)", "a thread is chosen by its \"lwp\""));
                continue;
            }
            named.Add(lwp);
            string path = $"threads[lwp={lwp}]";
            if (!byLwp.TryGetValue(lwp, out var thread))
            {
                string known = byLwp.Count == 0 ? "the report has no threads" : $"its LWPs are {string.Join(", ", byLwp.Keys.Take(12))}{(byLwp.Count > 12 ? ", …" : "")}";
                mismatches.Add(new Mismatch(path, Encode(e), "(absent)", $"no thread with LWP {lwp}; {known}"));
                continue;
            }
            CompareNode(path, e, thread, mismatches);
        }
        if (exhaustive && byLwp.Keys.Any(l => !named.Contains(l)))
        {
            var extra = byLwp.Keys.Where(l => !named.Contains(l)).ToList();
            mismatches.Add(new Mismatch("threads", Count(expected.Count, "thread"), Count(list.Count, "thread"),
                $"\"exhaustive\": not expected: LWP {string.Join(", ", extra.Take(8))}{(extra.Count > 8 ? ", …" : "")}"));
        }
    }

    /// <summary>
    /// JSON equality of scalars. Numbers compare by value; a hex string ("0x829E76000") equals
    /// the same number written in decimal or with other letter case, since the report writes
    /// addresses as lowercase "0x…" strings and people copy them from many places.
    /// </summary>
    internal static bool ScalarEquals(JsonNode? expected, JsonNode? actual)
    {
        if (expected is null || actual is null) return expected is null && actual is null;
        if (expected is not JsonValue e || actual is not JsonValue a) return false;
        var ek = e.GetValueKind();
        var ak = a.GetValueKind();
        if (ek == JsonValueKind.String && ak == JsonValueKind.String)
        {
            string es = e.GetValue<string>(), @as = a.GetValue<string>();
            if (es == @as) return true;
            return HexValue(es) is { } ev && HexValue(@as) is { } av && ev == av;
        }
        if (ek == JsonValueKind.Number && ak == JsonValueKind.Number)
            return e.TryGetValue(out decimal ed) && a.TryGetValue(out decimal ad) ? ed == ad : e.ToJsonString() == a.ToJsonString();
        if (ek == JsonValueKind.Number && ak == JsonValueKind.String)
            return e.TryGetValue(out ulong n) && HexValue(a.GetValue<string>()) == n;
        return ek == ak && ek is JsonValueKind.True or JsonValueKind.False;
    }

    private static ulong? HexValue(string s) =>
        s.Length > 2 && s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) &&
        ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v) ? v : null;

    private static long? Integer(JsonNode? node) => node is JsonValue v && v.TryGetValue(out long n) ? n : null;

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>A value as JSON on one line, cut at <see cref="MaxValueLength"/> characters.</summary>
    public static string Encode(JsonNode? node)
    {
        string json = node is null ? "null" : node.ToJsonString(Compact);
        return json.Length <= MaxValueLength ? json : json[..(MaxValueLength - 1)] + "…";
    }

    /// <summary>An element's scalar members (the first four), enough to recognise it in a message.</summary>
    private static string Summarize(JsonNode? node)
    {
        if (node is not JsonObject obj) return Encode(node);
        var summary = new JsonObject();
        foreach (var (name, value) in obj.Where(p => p.Value is JsonValue).Take(4))
            summary[name] = value!.DeepClone();
        return Encode(summary);
    }
}
