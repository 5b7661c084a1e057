using System.Globalization;

namespace CoreSleuth;

/// <summary>"1 thread", "23 threads": counts in reports agree with their noun.</summary>
internal static class Plural
{
    public static string Of(long count, string singular, string? plural = null) =>
        $"{count.ToString(CultureInfo.InvariantCulture)} {(count == 1 ? singular : plural ?? singular + "s")}";
}
