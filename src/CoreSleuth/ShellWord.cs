namespace CoreSleuth;

/// <summary>Words for a POSIX shell in the commands reports suggest: paths come from an untrusted core.</summary>
internal static class ShellWord
{
    /// <summary>
    /// <paramref name="word"/> in single quotes, a quote inside written as <c>'\''</c>; with
    /// <paramref name="onlyWhenNeeded"/>, as it is when made only of characters no shell treats specially.
    /// </summary>
    public static string Quote(string word, bool onlyWhenNeeded = false) =>
        onlyWhenNeeded && word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+,:@%=".Contains(c))
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
