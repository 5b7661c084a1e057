using CoreSleuth.Report;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// osreldate → release, against the Porter's Handbook "__FreeBSD_version Values" table
/// (freebsd-doc documentation/content/en/books/porters-handbook/versions): each row's value and
/// the release it names, written here by hand from the table, not from the decoder.
/// </summary>
public class FreeBsdReleaseTests
{
    [Theory]
    // FreeBSD 11: 11.0-RELEASE is 1100122 (corpus bsi-08c8232b); after it, 11.0-STABLE (corpus bsi-01c3190a); 11.1-RELEASE is 1101001.
    [InlineData(1100122, "11.0-RELEASE")]
    [InlineData(1100514, "11.0-STABLE")]
    [InlineData(1101001, "11.1-RELEASE")]
    [InlineData(1100000, "11.0-CURRENT")]
    // FreeBSD 13: "1300130 13.0-CURRENT after p_pd / pwddesc split" (corpus lldb-x86-64-freebsd13); 13.0-RELEASE kept 1300139;
    // "1300500 13.0-STABLE after releng/13.0 was branched"; 13.5-RELEASE 1305000.
    [InlineData(1300130, "13.0-CURRENT")]
    [InlineData(1300139, "13.0-RELEASE")]
    [InlineData(1300500, "13.0-STABLE")]
    [InlineData(1300519, "13.0-STABLE")]
    [InlineData(1305000, "13.5-RELEASE")]
    // FreeBSD 14: "1400008 14.0-CURRENT after changing the internal KAPI between the krpc and NFS modules" (corpus lldb multithread).
    [InlineData(1400008, "14.0-CURRENT")]
    [InlineData(1400000, "14.0-CURRENT")]
    [InlineData(1400097, "14.0-RELEASE")]
    // FreeBSD 15: "1500000 15.0-CURRENT".
    [InlineData(1500000, "15.0-CURRENT")]
    // FreeBSD 10, 12 and 9: the releases.
    [InlineData(1001000, "10.1-RELEASE")]
    [InlineData(1000510, "10.0-RELEASE")]
    [InlineData(1200086, "12.0-RELEASE")]
    [InlineData(1204000, "12.4-RELEASE")]
    [InlineData(902001, "9.2-RELEASE")]
    // Between releases on a stable branch: x.y-STABLE after x.y-RELEASE.
    [InlineData(1001500, "10.1-STABLE")]
    [InlineData(1204500, "12.4-STABLE")]
    public void Osreldate_is_decoded_as_the_porters_handbook_table_says(int osreldate, string release) =>
        Assert.Equal(release, FreeBsdRelease.FromOsRelDate(osreldate)!.Label);

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(99999)]
    public void No_release_without_a_plausible_osreldate(int? osreldate) => Assert.Null(FreeBsdRelease.FromOsRelDate(osreldate));
}
