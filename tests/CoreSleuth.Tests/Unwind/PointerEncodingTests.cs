using CoreSleuth.Analysis.Unwind;

namespace CoreSleuth.Tests.Unwind;

/// <summary>DW_EH_PE pointer encodings (LSB Core spec, .eh_frame), with values worked out by hand.</summary>
public sealed class PointerEncodingTests
{
    private const ulong At = 0x1000;
    private static readonly EhBases Bases = new(Text: 0x400000, Data: 0x600000, Function: 0x401000);

    [Theory]
    [InlineData(0x00, new byte[] { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 }, 0x1122334455667788UL, 8)] // absptr
    [InlineData(0x01, new byte[] { 0xe5, 0x8e, 0x26 }, 624485UL, 3)]                                               // uleb128
    [InlineData(0x02, new byte[] { 0xfe, 0xff }, 0xfffeUL, 2)]                                                      // udata2
    [InlineData(0x03, new byte[] { 0xfe, 0xff, 0xff, 0xff }, 0xfffffffeUL, 4)]                                      // udata4
    [InlineData(0x04, new byte[] { 1, 0, 0, 0, 0, 0, 0, 0x80 }, 0x8000000000000001UL, 8)]                           // udata8
    [InlineData(0x09, new byte[] { 0x7f }, ulong.MaxValue, 1)]                                                     // sleb128 -1
    [InlineData(0x0a, new byte[] { 0xfe, 0xff }, 0xfffffffffffffffeUL, 2)]                                          // sdata2 -2
    [InlineData(0x0b, new byte[] { 0xfc, 0xff, 0xff, 0xff }, 0xfffffffffffffffcUL, 4)]                              // sdata4 -4
    [InlineData(0x0c, new byte[] { 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 0xfffffffffffffff8UL, 8)]      // sdata8 -8
    [InlineData(0x1b, new byte[] { 0xf0, 0xff, 0xff, 0xff }, At - 16, 4)]                                           // pcrel|sdata4
    [InlineData(0x3b, new byte[] { 0x10, 0, 0, 0 }, 0x600010UL, 4)]                                                 // datarel|sdata4
    [InlineData(0x23, new byte[] { 0x10, 0, 0, 0 }, 0x400010UL, 4)]                                                 // textrel|udata4
    [InlineData(0x42, new byte[] { 0x20, 0 }, 0x401020UL, 2)]                                                       // funcrel|udata2
    [InlineData(0x11, new byte[] { 0x7f }, At + 0x7f, 1)]                                                          // pcrel|uleb128: unsigned, +0x7f
    public void Decodes(byte encoding, byte[] bytes, ulong expected, int consumed)
    {
        var r = new CfiReader(bytes, At);
        Assert.Equal(expected, r.Pointer(encoding, Bases, out bool indirect));
        Assert.False(indirect);
        Assert.Equal(consumed, r.Position);
    }

    [Fact]
    public void Aligned_and_indirect()
    {
        // aligned: from address 0x1003, pad 5 bytes to 0x1008, then an 8-byte absolute pointer.
        byte[] bytes = [0, 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0];
        var r = new CfiReader(bytes, 0x1003);
        Assert.Equal(0x11223344UL, r.Pointer(0x50, Bases, out _));
        Assert.Equal(13, r.Position);
        // indirect|pcrel|sdata4: the value is where the pointer is stored; the flag says so.
        var i = new CfiReader(new byte[] { 8, 0, 0, 0 }, At);
        Assert.Equal(At + 8, i.Pointer(0x9b, Bases, out bool indirect));
        Assert.True(indirect);
    }

    [Theory]
    [InlineData(0x0f)] // unknown format
    [InlineData(0x6b)] // unknown application
    [InlineData(0xff)] // omitted
    public void Rejects_unknown_encodings(byte encoding)
    {
        Assert.Throws<CfiFormatException>(() =>
        {
            var r = new CfiReader(new byte[8], At);
            r.Pointer(encoding, Bases, out _);
        });
    }

    [Fact]
    public void Old_gcc_eh_augmentation_skips_its_data_word()
    {
        // CIE by hand: id 0, version 1, "eh\0", 8-byte EH data, code align 1, data align -8, ra 16, def_cfa rsp+8; offset rip.
        var cie = new List<byte> { 0, 0, 0, 0, 1, (byte)'e', (byte)'h', 0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0x78, 16, 0x0c, 0x07, 0x08, 0x90, 0x01 };
        while ((cie.Count + 4) % 8 != 0) cie.Add(0);
        var blob = new EhFrameBlob();
        blob.Raw(BitConverter.GetBytes((uint)cie.Count));
        blob.Raw([.. cie]);
        var eh = EhFrame.FromBytes(blob.ToArray(), EhFrameBlob.Address);
        var parsed = eh.ParseCie(EhFrameBlob.Address);
        Assert.True(parsed.IsSuccess, parsed.Error);
        Assert.Equal(("eh", 1UL, -8L, 16), (parsed.Value!.Augmentation, parsed.Value.CodeAlignment, parsed.Value.DataAlignment, parsed.Value.ReturnAddressRegister));
        Assert.Equal(EhPointerEncoding.Absptr, parsed.Value.FdeEncoding);
    }
}
