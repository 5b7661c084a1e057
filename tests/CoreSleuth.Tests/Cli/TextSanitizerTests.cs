using System.Globalization;
using System.Text;
using CoreSleuth.Report;
using CsCheck;

namespace CoreSleuth.Tests.Cli;

public class TextSanitizerTests
{
    [Theory]
    [InlineData("\u001b[31mred\u001b[0m", @"\x1b[31mred\x1b[0m")]
    [InlineData("line1\r\nline2", @"line1\r\nline2")]
    [InlineData("nul\0byte", @"nul\0byte")]
    [InlineData("tab\there", @"tab\there")]
    [InlineData("bell\u0007 del\u007f", @"bell\x07 del\x7f")]
    [InlineData("csi\u009b31m", @"csi\u009b31m")] // C1 CSI: a one-character escape sequence introducer
    [InlineData("abc\u202edcba", @"abc\u202edcba")] // RIGHT-TO-LEFT OVERRIDE reorders what follows
    [InlineData("zero\u200bwidth\ufeff", @"zero\u200bwidth\ufeff")]
    [InlineData("sep\u2028x", @"sep\u2028x")]
    [InlineData("back\\slash", @"back\\slash")]
    [InlineData("/usr/local/bin/mysqld", "/usr/local/bin/mysqld")]
    [InlineData("Grüße, 日本語", "Grüße, 日本語")]
    public void Strings_show_controls_and_invisible_characters_as_escapes(string input, string expected) =>
        Assert.Equal(expected, TextSanitizer.Sanitize(input));

    [Fact]
    public void A_lone_surrogate_is_escaped()
    {
        Assert.Equal(@"a\ud800b", TextSanitizer.Sanitize("a\ud800b"));
        Assert.Equal("😀", TextSanitizer.Sanitize("😀")); // a proper pair is a character
    }

    [Theory]
    [InlineData(new byte[] { 0x41, 0xff, 0x42 }, @"A\xffB")]
    [InlineData(new byte[] { 0xc3, 0x28 }, @"\xc3(")] // a lead byte without its continuation
    [InlineData(new byte[] { 0xed, 0xa0, 0x80 }, @"\xed\xa0\x80")] // an encoded surrogate is not UTF-8
    [InlineData(new byte[] { 0xc0, 0xaf }, @"\xc0\xaf")] // an overlong '/'
    [InlineData(new byte[] { 0x1b, 0x5b, 0x32, 0x4a }, @"\x1b[2J")] // clear screen
    [InlineData(new byte[] { 0xe2, 0x80, 0xae, 0x61 }, @"\u202ea")] // U+202E encoded
    [InlineData(new byte[] { 0xc2, 0x9b }, @"\u009b")] // C1 CSI encoded
    [InlineData(new byte[] { 0xc3, 0xa9 }, "é")]
    public void Bytes_show_invalid_UTF8_as_hex_escapes(byte[] input, string expected) =>
        Assert.Equal(expected, TextSanitizer.Sanitize(input));

    [Fact]
    public void Long_strings_are_cut_at_the_bound_with_an_ellipsis_never_inside_an_escape()
    {
        Assert.Equal("abcdefghi" + TextSanitizer.Ellipsis, TextSanitizer.Sanitize("abcdefghijklmnop", 10));
        Assert.Equal("abcdefghij", TextSanitizer.Sanitize("abcdefghij", 10)); // exactly at the bound: not cut
        string cut = TextSanitizer.Sanitize("abcdefg\u001bxyz", 10);
        Assert.Equal("abcdefg" + TextSanitizer.Ellipsis, cut); // "\x1b" would not fit whole
    }

    [Fact]
    public void Messages_keep_backslashes_but_still_escape_controls()
    {
        Assert.Equal(@"expected ""\x7fELF"" at \x1b", TextSanitizer.SanitizeMessage("expected \"\\x7fELF\" at \u001b"));
    }

    /// <summary>Nothing a terminal would act on or hide: no C0/C1 control, DEL, format or separator character, no lone surrogate.</summary>
    private static bool Safe(string s) =>
        Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s)) == s && // a lone surrogate would not survive the round trip
        s.EnumerateRunes().All(r =>
            r.Value >= 0x20 && r.Value != 0x7f && r.Value is not (>= 0x80 and <= 0x9f) &&
            Rune.GetUnicodeCategory(r) is not (UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse));

    [Fact]
    public void Any_bytes_come_out_printable_and_within_the_bound() =>
        Gen.Byte.Array[0, 200].Select(Gen.Int[2, 100]).Sample((bytes, max) =>
        {
            string s = TextSanitizer.Sanitize(bytes, max);
            return s.Length <= max && Safe(s);
        });

    [Fact]
    public void Any_string_comes_out_printable_and_within_the_bound() =>
        Gen.String[Gen.Char, 0, 200].Select(Gen.Int[2, 100]).Sample((text, max) =>
        {
            string s = TextSanitizer.Sanitize(text, max);
            return s.Length <= max && Safe(s);
        });

    [Fact]
    public void Printable_ASCII_without_backslashes_is_unchanged() =>
        Gen.String[Gen.Char[' ', '~'], 0, 100].Where(s => !s.Contains('\\')).Sample(s => TextSanitizer.Sanitize(s) == s);
}
