using CoreSleuth.Analysis.Crash;
using CoreSleuth.Model;

namespace CoreSleuth.Tests.Crash;

/// <summary>
/// The faulting instruction and its memory operand, from hand-assembled amd64 encodings (Intel
/// SDM: REX.W 8B /r is MOV r64, r/m64; 89 /r MOV r/m64, r64; FF /2 CALL r/m64; 0F 0B UD2).
/// </summary>
public sealed class FaultingInstructionTests
{
    private const ulong Rip = 0x401000;
    private static readonly Registers Zero = Registers.Parse(new byte[Registers.Size]) with { Rip = Rip };

    [Fact]
    public void A_load_through_a_null_base_is_a_read_through_a_null_pointer()
    {
        var d = FaultingInstruction.Decode([0x48, 0x8b, 0x43, 0x10], Rip, Zero with { Rbx = 0 }, faultAddress: 0x10)!;
        Assert.Equal("mov rax, [rbx+0x10]", d.Text);
        Assert.Equal("a read of address 0x10 through a null pointer (rbx = 0)", d.Access);
        Assert.Equal(0x10UL, d.EffectiveAddress);
        Assert.Equal(4, d.Bytes.Length);
    }

    [Fact]
    public void A_store_is_a_write_and_a_small_pointer_is_in_the_first_page()
    {
        var d = FaultingInstruction.Decode([0x48, 0x89, 0x43, 0x10, 0x90, 0x90], Rip, Zero with { Rbx = 0x8 }, faultAddress: null)!;
        Assert.Equal("mov [rbx+0x10], rax", d.Text);
        Assert.Equal("a write to address 0x18 through rbx = 0x8, a pointer into the first page, which is never mapped", d.Access);
        Assert.Equal(4, d.Bytes.Length); // only the instruction's own bytes
    }

    [Fact]
    public void An_ordinary_pointer_is_shown_with_its_register_and_a_different_fault_address_is_said()
    {
        var d = FaultingInstruction.Decode([0x48, 0x8b, 0x43, 0x10], Rip, Zero with { Rbx = 0x801234000 }, faultAddress: 0x999)!;
        Assert.Equal("a read of address 0x801234010 (rbx = 0x801234000, plus 0x10); the kernel reported 0x999 as the fault address, not this one", d.Access);
    }

    [Fact]
    public void An_indirect_call_reads_its_target_from_memory()
    {
        var d = FaultingInstruction.Decode([0xff, 0x10], Rip, Zero with { Rax = 0 }, faultAddress: 0)!;
        Assert.Equal("a read of address 0x0 through a null pointer (rax = 0)", d.Access);
    }

    [Fact]
    public void Rip_relative_operands_are_resolved_from_the_instruction_address()
    {
        var d = FaultingInstruction.Decode([0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00], Rip, Zero, faultAddress: null)!;
        Assert.Equal(Rip + 7 + 0x10, d.EffectiveAddress);
    }

    [Fact]
    public void Thread_local_operands_are_not_computed_without_the_segment_base()
    {
        var d = FaultingInstruction.Decode([0x64, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00], Rip, Zero, faultAddress: null)!;
        Assert.Null(d.EffectiveAddress);
        Assert.Contains("thread-local", d.Access);
    }

    [Fact]
    public void Lea_and_instructions_without_memory_have_no_access()
    {
        Assert.Null(FaultingInstruction.Decode([0x48, 0x8d, 0x43, 0x10], Rip, Zero, null)!.Access); // lea rax, [rbx+0x10]
        var ud2 = FaultingInstruction.Decode([0x0f, 0x0b], Rip, Zero, null)!;
        Assert.Equal("ud2", ud2.Text);
        Assert.Null(ud2.Access);
    }

    [Fact]
    public void Bytes_that_do_not_decode_or_are_cut_short_give_no_text_and_no_bytes_give_nothing()
    {
        Assert.Null(FaultingInstruction.Decode([0x06], Rip, Zero, null)!.Text); // push es: invalid in 64-bit mode
        Assert.Null(FaultingInstruction.Decode([0x48, 0x8b], Rip, Zero, null)!.Text);
        Assert.Null(FaultingInstruction.Decode([], Rip, Zero, null));
    }
}
