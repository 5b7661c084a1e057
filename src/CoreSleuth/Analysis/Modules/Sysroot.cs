namespace CoreSleuth.Analysis.Modules;

/// <summary>
/// Resolves a path recorded in a core (e.g. /lib/libthr.so.3) inside a sysroot folder, like
/// gdb's <c>set sysroot</c>, but never outside it: ".." stops at the sysroot's root and
/// symbolic links — absolute ones included — are followed relative to the sysroot.
/// </summary>
public sealed class Sysroot(string root)
{
    private const int MaxLinks = 40;

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The root is this machine's own /: the files of a Linux core read where the process had them.</summary>
    public bool IsLocalSystem { get; init; }

    /// <summary>What reports call the sysroot's root (the archive a temporary folder was unpacked from); null for <see cref="Root"/> itself.</summary>
    public string? DisplayRoot { get; init; }

    /// <summary>How reports name <paramref name="file"/>, a file under <see cref="Root"/>.</summary>
    public string Display(string file) =>
        DisplayRoot is { } shown && file.StartsWith(Root + "/", StringComparison.Ordinal) ? shown + file[Root.Length..] : file;

    /// <summary>The file inside the sysroot for <paramref name="corePath"/>, or null with a reason.</summary>
    public string? Resolve(string corePath, out string? problem)
    {
        if (corePath.Length == 0 || corePath.Contains('\0'))
        {
            problem = "the path is empty or contains a NUL byte";
            return null;
        }
        var pending = new Stack<string>(Split(corePath).Reverse());
        var resolved = new List<string>();
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part is "" or ".") continue;
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            string candidate = Path.Combine([Root, .. resolved, part]);
            var info = new FileInfo(candidate);
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks) { problem = $"more than {MaxLinks} symbolic links while resolving {corePath}"; return null; }
                if (target.StartsWith('/')) resolved.Clear();
                foreach (var p in Split(target).Reverse()) pending.Push(p);
                continue;
            }
            resolved.Add(part);
        }
        string full = Path.Combine([Root, .. resolved]);
        string place = IsLocalSystem ? "on this machine" : $"in the sysroot {Root}";
        if (!File.Exists(full)) { problem = $"{corePath} is not {place}"; return null; }
        // Only a file with contents: FIFOs, sockets and devices have size 0, and opening a FIFO
        // for reading would wait for a writer forever.
        if (new FileInfo(full).Length == 0) { problem = $"{corePath} is empty or not a regular file {place}"; return null; }
        problem = null;
        return full;
    }

    private static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
