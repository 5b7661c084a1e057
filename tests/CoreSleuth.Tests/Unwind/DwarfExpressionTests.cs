using CoreSleuth.Analysis.Unwind;

namespace CoreSleuth.Tests.Unwind;

/// <summary>DW_OP semantics from DWARF 4 §2.5, with expected values worked out by hand.</summary>
public sealed class DwarfExpressionTests
{
    private sealed class Context(ulong? cfa = null) : IDwarfExpressionContext
    {
        public ulong? Cfa => cfa;

        public bool TryGetRegister(int r, out ulong value)
        {
            value = r switch { 7 => 0x7fffffffd000, 16 => 0x40041c, 6 => 0x7fffffffd100, _ => 0 };
            return r is 6 or 7 or 16;
        }

        public bool TryReadMemory(ulong address, int size, out ulong value)
        {
            // Memory holds 0x1122334455667788 at 0x1000; nothing else is readable.
            value = address == 0x1000 ? 0x1122334455667788UL & (size == 8 ? ulong.MaxValue : (1UL << (8 * size)) - 1) : 0;
            return address == 0x1000;
        }
    }

    [Theory]
    // The PLT CFA expression of FreeBSD 12.0's hello (llvm-dwarfdump): rsp+8 + ((rip & 15) >= 11) << 3.
    [InlineData(new byte[] { 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22 }, 0x7fffffffd010UL)] // rip&15 = 12 ≥ 11 → +8
    [InlineData(new byte[] { 0x30 + 5, 0x30 + 7, 0x1c }, unchecked((ulong)-2L))]                 // 5 - 7
    [InlineData(new byte[] { 0x08, 0xff, 0x09, 0xff, 0x22 }, 0xfeUL)]                              // const1u 255 + const1s -1
    [InlineData(new byte[] { 0x0a, 0x34, 0x12, 0x0b, 0x00, 0x80, 0x1e }, unchecked((ulong)(0x1234L * -32768)))] // const2u × const2s
    [InlineData(new byte[] { 0x0c, 0x78, 0x56, 0x34, 0x12, 0x0d, 0xff, 0xff, 0xff, 0xff, 0x22 }, 0x12345677UL)]  // const4u + const4s(-1)
    [InlineData(new byte[] { 0x10, 0xe5, 0x8e, 0x26 }, 624485UL)]                                   // constu (LEB128 example of DWARF 4 §7.6)
    [InlineData(new byte[] { 0x11, 0xc0, 0xbb, 0x78 }, unchecked((ulong)-123456L))]                // consts
    [InlineData(new byte[] { 0x31, 0x32, 0x33, 0x17 }, 2UL)]                                       // 1 2 3 rot → top is 2
    [InlineData(new byte[] { 0x31, 0x32, 0x33, 0x15, 0x02 }, 1UL)]                                 // pick 2
    [InlineData(new byte[] { 0x31, 0x32, 0x14, 0x1c }, 1UL)]                                       // 1 2 over minus → 2-1
    [InlineData(new byte[] { 0x31, 0x32, 0x16, 0x1c }, 1UL)]                                       // 1 2 swap minus → 2-1
    [InlineData(new byte[] { 0x35, 0x12, 0x12, 0x1e, 0x13 }, 5UL)]                                 // 5 dup dup mul drop → 5
    [InlineData(new byte[] { 0x3c, 0x35, 0x21, 0x33, 0x27 }, 0xeUL)]                               // (12|5) ^ 3
    [InlineData(new byte[] { 0x38, 0x1f, 0x19 }, 8UL)]                                             // abs(neg 8)
    [InlineData(new byte[] { 0x30, 0x20 }, ulong.MaxValue)]                                        // not 0
    [InlineData(new byte[] { 0x38, 0x1f, 0x31, 0x25 }, 0x7ffffffffffffffcUL)]                      // -8 >> 1 (logical)
    [InlineData(new byte[] { 0x38, 0x1f, 0x31, 0x26 }, unchecked((ulong)-4L))]                     // -8 >> 1 (arithmetic)
    [InlineData(new byte[] { 0x38, 0x1f, 0x30, 0x2d }, 1UL)]                                       // -8 < 0 (signed)
    [InlineData(new byte[] { 0x33, 0x33, 0x29, 0x33, 0x34, 0x2b, 0x22 }, 1UL)]                     // (3==3) + (3>4)
    [InlineData(new byte[] { 0x33, 0x34, 0x2c, 0x34, 0x34, 0x2a, 0x22, 0x33, 0x33, 0x2e, 0x22 }, 2UL)] // le + ge + ne
    [InlineData(new byte[] { 0x31, 0x28, 0x01, 0x00, 0x39, 0x3a }, 10UL)]                          // 1 bra +1 (skips lit9) → lit10
    [InlineData(new byte[] { 0x2f, 0x01, 0x00, 0x39, 0x3a }, 10UL)]                                // skip +1
    [InlineData(new byte[] { 0x0e, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x06 }, 0x1122334455667788UL)]    // const8u 0x1000 deref
    [InlineData(new byte[] { 0x03, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x94, 0x02 }, 0x7788UL)]          // addr 0x1000 deref_size 2
    [InlineData(new byte[] { 0x92, 0x06, 0x70 }, 0x7fffffffd0f0UL)]                                // bregx rbp -16
    [InlineData(new byte[] { 0x77, 0x00, 0x23, 0x80, 0x01 }, 0x7fffffffd080UL)]                    // breg7 + plus_uconst 128
    [InlineData(new byte[] { 0x96, 0x9c }, 0x7fffffffd010UL)]                                      // nop, call_frame_cfa
    public void Evaluates(byte[] expression, ulong expected)
    {
        var r = DwarfExpression.Evaluate(expression, new Context(cfa: 0x7fffffffd010));
        Assert.True(r.IsSuccess, r.Error);
        Assert.Equal(expected, r.Value);
        Assert.Null(r.InRegister);
    }

    [Fact]
    public void Register_locations_and_initial_values()
    {
        var inReg = DwarfExpression.Evaluate([0x56], new Context());
        Assert.Equal((6, 0x7fffffffd100UL), (inReg.InRegister!.Value, inReg.Value));
        var regx = DwarfExpression.Evaluate([0x90, 0x10], new Context());
        Assert.Equal((16, 0x40041cUL), (regx.InRegister!.Value, regx.Value));
        // DW_CFA_expression pushes the CFA first: CFA - 16.
        var pushed = DwarfExpression.Evaluate([0x40, 0x1c], new Context(), initial: 0x7fffffffd010);
        Assert.Equal(0x7fffffffd000UL, pushed.Value);
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x30 }, "not the last")]           // reg0 followed by more
    [InlineData(new byte[] { 0x73, 0x00 }, "not known")]              // breg3 (rbx) unknown here
    [InlineData(new byte[] { 0x3f, 0x06 }, "unavailable")]            // deref of unreadable memory
    [InlineData(new byte[] { 0x9c }, "CFA is being computed")]        // call_frame_cfa without a CFA
    [InlineData(new byte[] { 0x31, 0x30, 0x1b }, "by zero")]
    [InlineData(new byte[] { 0x94, 0x09 }, "deref_size")]
    [InlineData(new byte[] { 0xe0 }, "unsupported")]
    [InlineData(new byte[] { 0x08 }, "remain")]                        // operand missing
    [InlineData(new byte[] { }, "empty stack")]
    public void Fails_with_a_reason(byte[] expression, string reason)
    {
        var r = DwarfExpression.Evaluate(expression, new Context());
        Assert.False(r.IsSuccess);
        Assert.Contains(reason, r.Error);
    }
}
