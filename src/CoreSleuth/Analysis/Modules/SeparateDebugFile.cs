using System.Text;
using CoreSleuth.Elf;

namespace CoreSleuth.Analysis.Modules;

/// <summary>
/// Where a distribution keeps an image's separate debug file (gdb's rules, "Separate Debug
/// Files"): by build-id, <c>ROOT/usr/lib/debug/.build-id/xx/rest.debug</c>; else by the name in
/// the image's <c>.gnu_debuglink</c>, next to the file, in its <c>.debug</c> folder, or under
/// <c>ROOT/usr/lib/debug</c> + the file's folder. ROOT is the sysroot, or / for the local system.
/// </summary>
public static class SeparateDebugFile
{
    public const string DebugDirectory = "usr/lib/debug";

    /// <summary>The candidate paths, most specific first; the caller opens them and checks the build-id.</summary>
    /// <param name="imagePath">The path of the image in the process (as the core names it).</param>
    public static IReadOnlyList<string> Candidates(Sysroot root, string imagePath, string? buildId, ElfFile? file)
    {
        var list = new List<string>();
        if (buildId is { Length: > 2 } id && id.All(char.IsAsciiHexDigitLower))
            Add(list, root, $"/{DebugDirectory}/.build-id/{id[..2]}/{id[2..]}.debug");
        if (file is not null && DebugLink(file) is { } name)
        {
            string folder = Path.GetDirectoryName(imagePath) ?? "/";
            Add(list, root, Path.Combine(folder, name));
            Add(list, root, Path.Combine(folder, ".debug", name));
            Add(list, root, $"/{DebugDirectory}{(folder.StartsWith('/') ? "" : "/")}{folder}/{name}");
        }
        return list;
    }

    private static void Add(List<string> list, Sysroot root, string corePath)
    {
        if (root.Resolve(corePath, out _) is { } found && !list.Contains(found)) list.Add(found);
    }

    /// <summary>The file name of <c>.gnu_debuglink</c> (a NUL-terminated name, then padding and a CRC); null without one.</summary>
    public static string? DebugLink(ElfFile file)
    {
        var section = file.SectionHeaders.FirstOrDefault(s => s.Name == ".gnu_debuglink" && s.Size is > 1 and <= 4096);
        if (section is null) return null;
        var bytes = file.Source.Slice((long)section.Offset, (int)section.Size);
        int nul = bytes.IndexOf((byte)0);
        if (nul <= 0) return null;
        string name = Encoding.UTF8.GetString(bytes[..nul]);
        // A bare file name: a link is never a path.
        return name.Contains('/') || name is "." or ".." ? null : name;
    }
}
