using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using CoreSleuth.Memory;

namespace CoreSleuth.Report;

/// <summary>
/// Renders reports as JSON through source-generated serializers (no reflection, so the tool can
/// be published with Native AOT): camelCase names, addresses and register values as lowercase
/// <c>"0x…"</c> strings, integers as numbers, null where the core does not say.
/// </summary>
public static class JsonReport
{
    // The relaxed encoder writes non-ASCII text as UTF-8 instead of \uXXXX; it still escapes
    // control characters, and strings from the core are .NET strings, so the output is valid UTF-8.
    private static readonly ReportJsonContext Context = new(new JsonSerializerOptions(ReportJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static void Write(InfoReport report, TextWriter w) => Write(JsonSerializer.Serialize(report, Context.InfoReport), w);
    public static void Write(ThreadsReport report, TextWriter w) => Write(JsonSerializer.Serialize(report, Context.ThreadsReport), w);
    public static void Write(RegistersReport report, TextWriter w) => Write(JsonSerializer.Serialize(report, Context.RegistersReport), w);
    public static void Write(MemoryReport report, TextWriter w) => Write(JsonSerializer.Serialize(report, Context.MemoryReport), w);

    private static void Write(string json, TextWriter w) => w.WriteLine(json);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    Converters = [typeof(CamelCaseEnumConverter<CoreStringStatus>), typeof(CamelCaseEnumConverter<RegisterGroup>)])]
[JsonSerializable(typeof(InfoReport))]
[JsonSerializable(typeof(ThreadsReport))]
[JsonSerializable(typeof(RegistersReport))]
[JsonSerializable(typeof(MemoryReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;

/// <summary>Enum values as camelCase strings ("cutShort"), the same convention as the property names.</summary>
internal sealed class CamelCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase, allowIntegerValues: false)
    where TEnum : struct, Enum;
