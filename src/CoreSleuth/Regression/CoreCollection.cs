using System.Globalization;

namespace CoreSleuth.Regression;

/// <summary>A core to check: where to open it, and how it is named in output (forward slashes, as given).</summary>
/// <param name="Folder">The folder part of <paramref name="DisplayPath"/> ("." for none): the JUnit classname.</param>
public sealed record CoreEntry(string Path, string DisplayPath, string Folder)
{
    public string FileName => System.IO.Path.GetFileName(DisplayPath);

    /// <summary>The expectation file beside the core.</summary>
    public string ExpectationPath => Expectations.PathFor(Path);
}

/// <summary>One slice of a collection split for a CI matrix: the <see cref="Index"/>-th (1-based) of <see cref="Count"/>.</summary>
public readonly record struct Shard(int Index, int Count)
{
    public static readonly Shard Whole = new(1, 1);

    /// <summary>Parses "K/N" with 1 ≤ K ≤ N.</summary>
    public static bool TryParse(string text, out Shard shard, out string? error)
    {
        shard = Whole;
        error = null;
        var parts = text.Split('/');
        if (parts.Length != 2 ||
            !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            error = $"--shard must be K/N (e.g. 2/4), not '{text}'";
            return false;
        }
        if (n < 1 || k < 1 || k > n)
        {
            error = $"--shard K/N needs 1 <= K <= N, not {k}/{n}";
            return false;
        }
        shard = new Shard(k, n);
        return true;
    }

    /// <summary>
    /// Slice K takes the cores whose 0-based position i in the sorted list has i mod N = K−1:
    /// the slices are disjoint, cover the list, and differ in size by one at most.
    /// </summary>
    public IReadOnlyList<T> Select<T>(IReadOnlyList<T> sorted)
    {
        int n = Count, k = Index;
        return sorted.Where((_, i) => i % n == k - 1).ToList();
    }

    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>
/// Finds the cores named on a command line: files as given, folders searched recursively for
/// <c>*.core</c> and the compressed <c>*.core.gz</c>, <c>*.core.zst</c> and <c>*.core.xz</c>.
/// </summary>
public static class CoreCollection
{
    /// <summary>The names a folder's cores end with: plain, and as FreeBSD's kern.compress_user_cores (or gzip, zstd, xz) leaves them.</summary>
    public static readonly IReadOnlyList<string> Suffixes = [".core", ".core.gz", ".core.zst", ".core.xz"];

    /// <summary>
    /// The core's path without its suffix, to which the side files' names are added: X for X.core and
    /// for X.core.gz alike, so a core keeps its X.expect.json (and X.innodb.txt) when it is compressed.
    /// A name with none of the suffixes is its own stem.
    /// </summary>
    public static string Stem(string corePath)
    {
        foreach (string suffix in Suffixes)
            if (corePath.EndsWith(suffix, StringComparison.Ordinal) && corePath.Length > suffix.Length) return corePath[..^suffix.Length];
        return corePath;
    }

    private static readonly EnumerationOptions Recursive = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        MatchCasing = MatchCasing.CaseSensitive,
        MatchType = MatchType.Simple,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
    };

    /// <summary>
    /// Every core under <paramref name="arguments"/>, sorted by display path (ordinal), each file once.
    /// A name that is not a folder is taken as a core even when it does not exist, so that it is
    /// reported as an error for that core rather than silently skipped.
    /// </summary>
    public static IReadOnlyList<CoreEntry> Find(IEnumerable<string> arguments)
    {
        var byFullPath = new Dictionary<string, CoreEntry>(StringComparer.Ordinal);
        foreach (string argument in arguments)
        {
            if (Directory.Exists(argument))
            {
                string prefix = argument.Replace('\\', '/').TrimEnd('/');
                if (prefix is "." or "") prefix = "";
                foreach (string file in Directory.EnumerateFiles(argument, "*.core*", Recursive))
                {
                    // "*.core*" also matches "x.core~" or "x.core.bak": be exact.
                    if (!Suffixes.Any(s => file.EndsWith(s, StringComparison.Ordinal))) continue;
                    string relative = Path.GetRelativePath(argument, file).Replace('\\', '/');
                    string display = prefix.Length == 0 ? relative : $"{prefix}/{relative}";
                    byFullPath.TryAdd(Path.GetFullPath(file), Entry(file, display));
                }
            }
            else
            {
                byFullPath.TryAdd(Path.GetFullPath(argument), Entry(argument, argument.Replace('\\', '/')));
            }
        }
        return byFullPath.Values.OrderBy(e => e.DisplayPath, StringComparer.Ordinal).ToList();
    }

    private static CoreEntry Entry(string path, string display)
    {
        int slash = display.LastIndexOf('/');
        return new CoreEntry(path, display, slash <= 0 ? (slash == 0 ? "/" : ".") : display[..slash]);
    }
}
