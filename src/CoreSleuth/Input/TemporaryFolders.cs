using System.Collections.Concurrent;

namespace CoreSleuth.Input;

/// <summary>
/// Private temporary folders (only the user may enter them: they hold a copy of a process's
/// memory, or its binaries) under the system's temporary folder (TMPDIR on Unix), for a
/// decompressed core or an unpacked --sysroot archive. Each is deleted when its user is done,
/// on failure, by <see cref="DeleteAll"/> (the CLI calls it on SIGINT/SIGTERM) and at exit.
/// </summary>
public static class TemporaryFolders
{
    /// <summary>Tests: the folder under which temporary folders are made (else <see cref="Path.GetTempPath"/>).</summary>
    internal static readonly AsyncLocal<string?> RootForTests = new();

    /// <summary>Tests: the free space to assume instead of the file system's.</summary>
    internal static readonly AsyncLocal<long?> FreeSpaceForTests = new();

    private static readonly ConcurrentDictionary<string, byte> live = new(StringComparer.Ordinal);

    static TemporaryFolders() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteAll();

    /// <summary>A new private folder named <paramref name="prefix"/> and a random suffix; known to <see cref="DeleteAll"/> before it exists.</summary>
    internal static string Create(string prefix)
    {
        string folder = Path.Combine(RootForTests.Value ?? Path.GetTempPath(), prefix + Path.GetRandomFileName().Replace(".", "", StringComparison.Ordinal));
        live.TryAdd(folder, 0);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return folder;
    }

    /// <summary>The bytes free in the file system of <paramref name="folder"/>.</summary>
    internal static long FreeSpace(string folder) => FreeSpaceForTests.Value ?? new DriveInfo(folder).AvailableFreeSpace;

    /// <summary>Deletes <paramref name="folder"/> and what it holds; false when it could not (it stays known to <see cref="DeleteAll"/>).</summary>
    internal static bool Delete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            live.TryRemove(folder, out _);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Deletes every temporary folder still present (on a signal, or at exit).</summary>
    public static void DeleteAll()
    {
        foreach (string folder in live.Keys) Delete(folder);
    }
}
