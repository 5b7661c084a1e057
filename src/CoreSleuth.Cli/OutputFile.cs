namespace CoreSleuth.Cli;

/// <summary>
/// A file a command writes its report to (--output, --junit), checked before any work: not a
/// folder, not one of the command's inputs (by path, through symbolic links, or by device and
/// inode: a hard link), in a folder where a file can be made. The report goes
/// to a temporary file beside the target, renamed over it by <see cref="Commit"/>; a run that
/// fails first leaves the old file as it was (disposing removes the temporary file).
/// </summary>
internal sealed class OutputFile : IDisposable
{
    private readonly string target;
    private string? temporary;
    private FileStream? stream;

    private OutputFile(string target, string temporary, FileStream stream)
    {
        this.target = target;
        this.temporary = temporary;
        this.stream = stream;
    }

    /// <summary>
    /// Checks <paramref name="path"/> and makes the temporary file beside it; null with a reason
    /// (in <paramref name="error"/>) when the report could not be written there.
    /// </summary>
    /// <param name="inputs">The files the command reads, each with the option (or argument) that names it.</param>
    /// <param name="inputFolder">A folder whose files the command may read (--sysroot), or null.</param>
    /// <param name="createFolder">Make the folder of <paramref name="path"/> when it does not exist.</param>
    public static OutputFile? Prepare(string path, IEnumerable<(string Name, string Path)> inputs, string? inputFolder, bool createFolder, out string? error)
    {
        error = null;
        try
        {
            if (path.Length == 0) { error = "empty file name"; return null; }
            if (Directory.Exists(path)) { error = "it is a folder; give a file name"; return null; }
            string target = Resolve(path);
            // A hard link to an input has a path of its own: the same file is told by its device and inode.
            var targetIdentity = File.Exists(target) ? FileIdentity.Of(target) : null;
            foreach (var (name, input) in inputs)
            {
                if (!File.Exists(input)) continue;
                if (SamePath(Resolve(input), target))
                {
                    error = $"it is an input of this command ({name}); it would be overwritten";
                    return null;
                }
                if (targetIdentity is not null && FileIdentity.Of(input) == targetIdentity)
                {
                    error = $"it is an input of this command ({name}) under another name (a hard link); it would be overwritten";
                    return null;
                }
            }
            if (inputFolder is not null && Directory.Exists(inputFolder)
                && Resolve(inputFolder) is var folder && IsUnder(target, folder))
            {
                error = "it is inside the --sysroot folder, an input of this command";
                return null;
            }
            string directory = Path.GetDirectoryName(target) ?? ".";
            if (createFolder) Directory.CreateDirectory(directory);
            else if (!Directory.Exists(directory)) { error = "no such directory"; return null; }
            string temporary = Path.Combine(directory, $".{Path.GetFileName(target)}.{Guid.NewGuid():n}.tmp");
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            return new OutputFile(target, temporary, stream);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            error = Why(ex);
            return null;
        }
    }

    /// <summary>Writes the report with <paramref name="write"/> and renames it over the target.</summary>
    public void Commit(Action<Stream> write)
    {
        write(stream!);
        stream!.Dispose();
        stream = null;
        File.Move(temporary!, target, overwrite: true);
        temporary = null;
    }

    public void Dispose()
    {
        stream?.Dispose();
        stream = null;
        if (temporary is null) return;
        try { File.Delete(temporary); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        temporary = null;
    }

    /// <summary>Why a file could not be written, in a few words.</summary>
    public static string Why(Exception ex) =>
        ex is UnauthorizedAccessException ? "permission denied" : ex is DirectoryNotFoundException ? "no such directory" : ex.Message;

    /// <summary>
    /// The absolute path of <paramref name="path"/> with every symbolic link (in the folders and the
    /// file itself) replaced by what it points to, as realpath(3) makes it. Parts that do not exist stay as they are.
    /// </summary>
    internal static string Resolve(string path, int depth = 0)
    {
        string full = Path.GetFullPath(path);
        string? root = Path.GetPathRoot(full);
        if (string.IsNullOrEmpty(root) || depth > 40) return full;
        string current = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is { } link)
            {
                // The link's target, resolved in turn, then the rest of the path below it.
                next = Resolve(Path.GetFullPath(link, current), depth + 1);
            }
            current = next;
        }
        return current;
    }

    private static StringComparison PathComparison => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static bool SamePath(string a, string b) => string.Equals(a, b, PathComparison);

    private static bool IsUnder(string path, string folder) =>
        path.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, PathComparison);
}
