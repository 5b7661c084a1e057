using System.Formats.Tar;
using System.IO.Compression;
using SharpCompress.Compressors.Xz;
using ZstdSharp;

namespace CoreSleuth.Input;

/// <summary>Why a --sysroot archive could not be unpacked: corrupt, truncated, hostile or too large.</summary>
public sealed class SysrootArchiveException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// A sysroot given as a tar archive (plain, gzip, zstd or xz, told by the first bytes), such as
/// the one <c>coresleuth files</c> tells the DBA to make on the server. It is unpacked once into
/// a private temporary folder (under TMPDIR) that <see cref="Dispose"/> deletes, as do
/// <see cref="TemporaryFolders.DeleteAll"/> (the CLI calls it on SIGINT/SIGTERM) and the end of the process.
/// The archive comes from elsewhere, so it is unpacked defensively: only regular files,
/// folders and symbolic links; no entry that is absolute or climbs out with "..", or whose path
/// holds a control character; no file written through a symbolic link (links are made last,
/// and are only ever followed by <see cref="Analysis.Modules.Sysroot"/>, which keeps them
/// inside the folder); at most <see cref="MaxEntries"/> entries and <see cref="MaxBytes"/> bytes,
/// and never more than the temporary folder's free space.
/// </summary>
public sealed class SysrootArchive : IDisposable
{
    public const int MaxEntries = 100_000;

    /// <summary>The most bytes unpacked: a server's binaries with debug files are a few GiB at most.</summary>
    public const long MaxBytes = 16L << 30;

    private const long Reserve = 32L << 20;

    private SysrootArchive(string archive, string folder)
    {
        Archive = archive;
        Folder = folder;
    }

    /// <summary>The archive as named on the command line.</summary>
    public string Archive { get; }

    /// <summary>The temporary folder holding the unpacked files: the sysroot.</summary>
    public string Folder { get; }

    /// <summary>Whether <paramref name="path"/> is a file that looks like a tar archive, compressed or not (by its first bytes).</summary>
    public static bool IsArchive(string path)
    {
        if (!File.Exists(path)) return false;
        if (CompressedCore.Detect(path) != CoreCompression.None) return true;
        Span<byte> head = stackalloc byte[262];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        return stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && head[257..262].SequenceEqual("ustar"u8);
    }

    /// <summary>Unpacks <paramref name="archive"/> into a new private temporary folder.</summary>
    /// <exception cref="SysrootArchiveException">Not a tar archive, corrupt or truncated, a refused entry, or too large.</exception>
    public static SysrootArchive Unpack(string archive)
    {
        string folder = TemporaryFolders.Create("coresleuth-sysroot-");
        try
        {
            Extract(archive, folder);
            return new SysrootArchive(archive, folder);
        }
        catch (Exception ex) when (ex is not SysrootArchiveException && ex is IOException or InvalidDataException or FormatException or UnauthorizedAccessException or ArgumentException or ZstdException)
        {
            TemporaryFolders.Delete(folder);
            throw new SysrootArchiveException(ex is UnauthorizedAccessException ? "permission denied" : $"corrupt or truncated archive: {ex.Message.TrimEnd('.')}", ex);
        }
        catch
        {
            TemporaryFolders.Delete(folder);
            throw;
        }
    }

    private static void Extract(string archive, string folder)
    {
        using var input = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1 << 16);
        Span<byte> head = stackalloc byte[6];
        int n = input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        input.Position = 0;
        using Stream data = CompressedCore.Detect(head[..n]) switch
        {
            CoreCompression.Gzip => new GZipStream(input, CompressionMode.Decompress, leaveOpen: true),
            CoreCompression.Zstd => new DecompressionStream(input, leaveOpen: true),
            CoreCompression.Xz => new XZStream(input),
            _ => input,
        };
        long free = TemporaryFolders.FreeSpace(folder) - Reserve;
        long budget = Math.Min(MaxBytes, free);
        string limit = budget == MaxBytes ? $"the limit of {MaxBytes >> 30} GiB" : $"the {Math.Max(0, free) >> 20} MiB free in the temporary folder (set TMPDIR to a folder with more space)";
        long total = 0;
        int entries = 0;
        var links = new List<(string Name, string Target)>();
        using var reader = new TarReader(data);
        while (reader.GetNextEntry() is { } entry)
        {
            if (++entries > MaxEntries) throw new SysrootArchiveException($"more than {MaxEntries} entries");
            string name = Checked(entry.Name);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    if (name.Length > 0) RealDirectory(folder, name);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    if (name.Length == 0) throw new SysrootArchiveException("a file entry without a name");
                    if (entry.Length < 0 || entry.Length > budget - total)
                        throw new SysrootArchiveException($"{name} declares {entry.Length} bytes: unpacked, the archive would exceed {limit}");
                    string parent = Path.GetDirectoryName(name) ?? "";
                    string target = Path.Combine(parent.Length > 0 ? RealDirectory(folder, parent) : folder, Path.GetFileName(name));
                    if (new FileInfo(target).LinkTarget is not null || Directory.Exists(target))
                        throw new SysrootArchiveException($"{name} is in the archive twice, once not as a file");
                    using (var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
                        if (entry.DataStream is { } stream) stream.CopyTo(file);
                    total += entry.Length;
                    break;
                case TarEntryType.SymbolicLink:
                    if (name.Length == 0 || entry.LinkName.Length == 0 || entry.LinkName.Any(char.IsControl))
                        throw new SysrootArchiveException($"the symbolic link {name} has no usable target");
                    links.Add((name, entry.LinkName));
                    break;
                // Hard links, devices, FIFOs and the like: nothing a sysroot needs (a FIFO would block a reader).
                default:
                    break;
            }
        }
        // Links last: no file of the archive is written through one.
        foreach (var (name, target) in links)
        {
            string parent = Path.GetDirectoryName(name) ?? "";
            string at = Path.Combine(parent.Length > 0 ? RealDirectory(folder, parent) : folder, Path.GetFileName(name));
            if (File.Exists(at) || Directory.Exists(at) || new FileInfo(at).LinkTarget is not null)
                throw new SysrootArchiveException($"{name} is in the archive twice, once as a symbolic link");
            File.CreateSymbolicLink(at, target);
        }
    }

    /// <summary>The entry's name relative to the archive's root ("./" and trailing "/" removed); refused when absolute, climbing out, or holding a control character.</summary>
    private static string Checked(string name)
    {
        if (name.Any(char.IsControl)) throw new SysrootArchiveException($"an entry's name holds a control character: {Printable(name)}");
        if (name.StartsWith('/') || name.StartsWith('\\') || Path.IsPathRooted(name))
            throw new SysrootArchiveException($"the entry {name} is an absolute path; the archive's paths must be relative to / (tar -C /)");
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains("..")) throw new SysrootArchiveException($"the entry {name} climbs out of the archive with \"..\"");
        return string.Join('/', parts);
    }

    private static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());

    /// <summary>The folder <paramref name="relative"/> under <paramref name="root"/>, made as needed; refused when a part of it is a symbolic link or a file.</summary>
    private static string RealDirectory(string root, string relative)
    {
        string at = root;
        foreach (string part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            at = Path.Combine(at, part);
            if (new FileInfo(at).LinkTarget is not null || File.Exists(at))
                throw new SysrootArchiveException($"{relative} goes through {Path.GetRelativePath(root, at)}, which is not a folder in the archive");
            Directory.CreateDirectory(at);
        }
        return at;
    }

    public void Dispose() => TemporaryFolders.Delete(Folder);
}
