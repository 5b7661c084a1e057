using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CoreSleuth.Testing.Scenarios;

/// <summary>
/// Reads scenario files: JSON with comments and trailing commas allowed, addresses as numbers
/// or "0x…" strings, unknown members rejected (a typo must not silently change a sample), and
/// <c>"base"</c> files merged underneath (objects member by member, everything else replaced).
/// </summary>
public static class ScenarioLoader
{
    private const int MaxBaseDepth = 8;

    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new AddressConverter() },
    };

    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Loads <paramref name="path"/> with its base files merged in.</summary>
    public static Scenario Load(string path)
    {
        var node = LoadMerged(Path.GetFullPath(path), 0);
        node.Remove("base");
        try
        {
            return node.Deserialize<Scenario>(Options) ?? throw new InvalidDataException($"{path}: empty scenario");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static JsonObject LoadMerged(string path, int depth)
    {
        if (depth > MaxBaseDepth) throw new InvalidDataException($"{path}: \"base\" chain longer than {MaxBaseDepth}");
        var node = JsonNode.Parse(File.ReadAllText(path), NodeOptions, DocumentOptions) as JsonObject
            ?? throw new InvalidDataException($"{path}: a scenario is a JSON object");
        if (node["base"]?.GetValue<string>() is not { } basePath) return node;
        var merged = LoadMerged(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, basePath)), depth + 1);
        Merge(merged, node);
        return merged;
    }

    private static void Merge(JsonObject target, JsonObject source)
    {
        foreach (var (name, value) in source.ToList())
        {
            if (value is JsonObject obj && target[name] is JsonObject existing)
            {
                Merge(existing, obj);
                continue;
            }
            target[name] = value?.DeepClone();
        }
    }

    /// <summary>The value of a JSON number or of a string "0x…" (hex) / "123" (decimal).</summary>
    public static ulong ParseAddress(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.TryGetUInt64(out ulong u) ? u : unchecked((ulong)e.GetInt64()),
        JsonValueKind.String => ParseAddress(e.GetString()!),
        _ => throw new InvalidDataException($"expected a number or \"0x…\", not {e.ValueKind}"),
    };

    public static ulong ParseAddress(string text)
    {
        text = text.Trim();
        bool ok;
        ulong v;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            ok = ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v);
        }
        else if (text.StartsWith('-'))
        {
            // Negative syscall arguments (AT_FDCWD = -100) as the register holds them.
            ok = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n);
            v = unchecked((ulong)n);
        }
        else
        {
            ok = ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        }
        return ok ? v : throw new InvalidDataException($"\"{text}\" is not a number (decimal, or hex with 0x)");
    }

    /// <summary>ulong members: JSON numbers, or strings in hex ("0x829e76000") or decimal.</summary>
    private sealed class AddressConverter : JsonConverter<ulong>
    {
        public override ulong Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            try
            {
                return ParseAddress(doc.RootElement);
            }
            catch (InvalidDataException e)
            {
                throw new JsonException(e.Message);
            }
        }

        public override void Write(Utf8JsonWriter writer, ulong value, JsonSerializerOptions options) =>
            writer.WriteStringValue($"0x{value:x}");
    }
}
