using System.Text;
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
    private static readonly ReportJsonContext Context = new(new JsonSerializerOptions(ReportJsonContext.Default.Options)
    {
        Encoder = TerminalSafeJsonEncoder.Instance,
    });

    public static void Write(InfoReport report, TextWriter w) => JsonText.Write(report, Context.InfoReport, w);
    public static void Write(ThreadsReport report, TextWriter w) => JsonText.Write(report, Context.ThreadsReport, w);
    public static void Write(RegistersReport report, TextWriter w) => JsonText.Write(report, Context.RegistersReport, w);
    public static void Write(MemoryReport report, TextWriter w) => JsonText.Write(report, Context.MemoryReport, w);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    Converters = [typeof(KebabCaseEnumConverter<CoreStringStatus>)])]
[JsonSerializable(typeof(InfoReport))]
[JsonSerializable(typeof(ThreadsReport))]
[JsonSerializable(typeof(RegistersReport))]
[JsonSerializable(typeof(MemoryReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;

/// <summary>Enum values as lowercase kebab-case strings ("cut-short"), as every value of the JSON vocabulary ("in-kernel", "frame-pointer").</summary>
internal sealed class KebabCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;

/// <summary>
/// JSON string escaping that keeps readable text as UTF-8 (paths, names, "…") but writes as
/// <c>\uXXXX</c> everything <see cref="TextSanitizer"/> would escape — C0/C1 controls, DEL,
/// bidirectional overrides, zero-width and other format characters — so that even a report
/// printed raw on a terminal cannot be turned against it. The output is always valid UTF-8:
/// strings from the core are .NET strings, and a lone surrogate is escaped too.
/// </summary>
internal sealed class TerminalSafeJsonEncoder : JavaScriptEncoder
{
    public static readonly TerminalSafeJsonEncoder Instance = new();

    private static readonly JavaScriptEncoder Relaxed = UnsafeRelaxedJsonEscaping;

    public override int MaxOutputCharactersPerInputCharacter => Math.Max(6, Relaxed.MaxOutputCharactersPerInputCharacter);

    public override bool WillEncode(int unicodeScalar) =>
        Relaxed.WillEncode(unicodeScalar) || !Rune.IsValid(unicodeScalar) || TextSanitizer.NeedsEscape(new Rune(unicodeScalar));

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (int i = 0; i < textLength; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < textLength && char.IsLowSurrogate(text[i + 1]))
            {
                if (WillEncode(char.ConvertToUtf32(c, text[i + 1]))) return i;
                i++;
            }
            else if (char.IsSurrogate(c) || WillEncode(c))
                return i;
        }
        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        if (Relaxed.WillEncode(unicodeScalar) || !WillEncode(unicodeScalar))
            return Relaxed.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);
        // One \uXXXX per UTF-16 code unit, as JSON spells characters outside the BMP.
        Span<char> units = stackalloc char[2];
        int count = Rune.IsValid(unicodeScalar) ? new Rune(unicodeScalar).EncodeToUtf16(units) : WriteUnit(units, unicodeScalar);
        numberOfCharactersWritten = 0;
        if (bufferLength < 6 * count) return false;
        for (int u = 0; u < count; u++)
        {
            string escape = $"\\u{(int)units[u]:x4}";
            for (int k = 0; k < 6; k++) buffer[numberOfCharactersWritten++] = escape[k];
        }
        return true;

        static int WriteUnit(Span<char> units, int value)
        {
            units[0] = (char)(value & 0xffff); // a lone surrogate code point
            return 1;
        }
    }
}
