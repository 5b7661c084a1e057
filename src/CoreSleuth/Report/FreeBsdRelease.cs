namespace CoreSleuth.Report;

/// <summary>
/// The FreeBSD release an osreldate (<c>__FreeBSD_version</c>) denotes, decoded as the Porter's
/// Handbook "__FreeBSD_version Values" table assigns them. A value is major·100000 + minor·1000 +
/// patch. Head (-CURRENT) counts M00000, M00001, … until stable/M is branched; the M.0 release
/// keeps the value the branch had then (11.0-RELEASE is 1100122, 13.0-RELEASE 1300139); the
/// stable branch goes on from M00500 (M.0-STABLE), and each later M.m release takes M0m000 (or a
/// value just after it, as 11.1 took 1101001) on its releng branch while stable/M goes on from
/// M0m500 (M.m-STABLE).
/// </summary>
public sealed record FreeBsdRelease(int Major, int Minor, int Patch)
{
    /// <summary>The value of each release, from the table (9.0–15.0); others are decoded by the rules above.</summary>
    private static readonly Dictionary<(int Major, int Minor), int> Releases = new()
    {
        [(9, 0)] = 900044, [(9, 1)] = 901000, [(9, 2)] = 902001, [(9, 3)] = 903000,
        [(10, 0)] = 1000510, [(10, 1)] = 1001000, [(10, 2)] = 1002000, [(10, 3)] = 1003000, [(10, 4)] = 1004000,
        [(11, 0)] = 1100122, [(11, 1)] = 1101001, [(11, 2)] = 1102000, [(11, 3)] = 1103000, [(11, 4)] = 1104000,
        [(12, 0)] = 1200086, [(12, 1)] = 1201000, [(12, 2)] = 1202000, [(12, 3)] = 1203000, [(12, 4)] = 1204000,
        [(13, 0)] = 1300139, [(13, 1)] = 1301000, [(13, 2)] = 1302001, [(13, 3)] = 1303001, [(13, 4)] = 1304000, [(13, 5)] = 1305000,
        [(14, 0)] = 1400097, [(14, 1)] = 1401000, [(14, 2)] = 1402000, [(14, 3)] = 1403000,
        [(15, 0)] = 1500068,
    };

    public static FreeBsdRelease? FromOsRelDate(int? osreldate) =>
        osreldate is int v and >= 100000 ? new FreeBsdRelease(v / 100000, v % 100000 / 1000, v % 1000) : null;

    public int Value => Major * 100000 + Minor * 1000 + Patch;

    /// <summary>"14.0".</summary>
    public string Version => $"{Major}.{Minor}";

    /// <summary>"11.0-RELEASE", "11.0-STABLE", "13.0-CURRENT", "13.2-PRERELEASE".</summary>
    public string Label
    {
        get
        {
            int? release = Releases.TryGetValue((Major, Minor), out int r) ? r : null;
            if (Value == release) return $"{Version}-RELEASE";
            // From M0m500 on, the stable branch after the M.m release (10.0-RELEASE itself was 1000510).
            if (Patch >= 500) return $"{Version}-STABLE";
            if (Minor == 0)
                // Before the branch point (the release's value) head is M.0-CURRENT; a value after it below
                // 500 is the releng/M.0 branch, i.e. the release with later fixes.
                return release is { } at && Value > at ? $"{Version}-RELEASE" : $"{Version}-CURRENT";
            // M0m000 up to the release value: release candidates on releng/M.m; after it, the release.
            return release is { } rel && Value < rel ? $"{Version}-PRERELEASE" : $"{Version}-RELEASE";
        }
    }

    public override string ToString() => Label;
}
