// MSBuild task: makes an output copy of TorchSharp's libLibTorchSharp.so load on a libstdc++ without GLIBCXX_3.4.32
// (Debian 12, Raspberry Pi OS bookworm, Ubuntu 22.04, JetPack 6).
//
// TorchSharp 0.107.0's shim is linked against GCC 13, whose <iostream> references std::ios_base_library_init
// (_ZSt21ios_base_library_initv, version GLIBCXX_3.4.32) as a link-time marker that is never called. Two edits
// to the ELF file make the loader accept it:
//   1. in .gnu.version_r, mark the GLIBCXX_3.4.32 requirement weak (vna_flags |= VER_FLG_WEAK);
//   2. in .gnu.version, give every dynamic symbol bound to that requirement the global version (index 1).
// Both edits are idempotent. The task only touches the files it is given (output copies, never the NuGet cache),
// and does nothing when the machine's libstdc++ already provides GLIBCXX_3.4.32.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class PatchLibTorchSharp : Task
{
    const string MissingVersion = "GLIBCXX_3.4.32";
    const uint ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2, VerNdxGlobal = 1;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        if (SystemLibStdCxxHasVersion())
        {
            Log.LogMessage(MessageImportance.Low, "libstdc++ provides " + MissingVersion + "; libLibTorchSharp.so left as it is.");
            return true;
        }
        foreach (var item in Files)
        {
            string path = item.ItemSpec;
            if (!File.Exists(path)) continue;
            try
            {
                int changed = Patch(path);
                Log.LogMessage(MessageImportance.Normal, $"TorchSharp Debian 12 fix: {path}: {changed} byte field(s) changed.");
            }
            catch (Exception e)
            {
                Log.LogError($"TorchSharp Debian 12 fix failed on {path}: {e.Message}");
                return false;
            }
        }
        return true;
    }

    static bool SystemLibStdCxxHasVersion()
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };
        byte[] needle = Encoding.ASCII.GetBytes(MissingVersion + "\0");
        foreach (var c in candidates)
        {
            if (!File.Exists(c)) continue;
            return IndexOf(File.ReadAllBytes(c), needle) >= 0;
        }
        return false; // no libstdc++ found where expected: patching is harmless, so patch
    }

    static int IndexOf(byte[] hay, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= hay.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && hay[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    /// <summary>Applies both edits in place; returns how many fields changed (0 when already patched).</summary>
    public static int Patch(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only 64-bit little-endian ELF is supported");

        ulong shoff = BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
        long verneedOff = -1, versymOff = -1, dynsymOff = -1, dynsymSize = 0, verneedStr = -1, dynsymStr = -1;
        int verneedCount = 0;
        for (int i = 0; i < shnum; i++)
        {
            long h = (long)shoff + (long)i * shentsize;
            uint type = BitConverter.ToUInt32(elf, (int)h + 4);
            long off = (long)BitConverter.ToUInt64(elf, (int)h + 24), size = (long)BitConverter.ToUInt64(elf, (int)h + 32);
            uint link = BitConverter.ToUInt32(elf, (int)h + 40), info = BitConverter.ToUInt32(elf, (int)h + 44);
            long linkOff = (long)BitConverter.ToUInt64(elf, (int)((long)shoff + (long)link * shentsize) + 24);
            if (type == ShtGnuVerneed) { verneedOff = off; verneedCount = (int)info; verneedStr = linkOff; }
            else if (type == ShtGnuVersym) versymOff = off;
            else if (type == ShtDynsym) { dynsymOff = off; dynsymSize = size; dynsymStr = linkOff; }
        }
        if (verneedOff < 0 || versymOff < 0 || dynsymOff < 0) throw new InvalidDataException("no symbol versioning sections");

        int changed = 0;
        ushort versionIndex = 0;
        long vn = verneedOff;
        for (int n = 0; n < verneedCount; n++)
        {
            int cnt = BitConverter.ToUInt16(elf, (int)vn + 2);
            long aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
            for (int a = 0; a < cnt; a++)
            {
                ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                ushort other = BitConverter.ToUInt16(elf, (int)aux + 6);
                string name = CString(elf, verneedStr + BitConverter.ToUInt32(elf, (int)aux + 8));
                if (name == MissingVersion)
                {
                    versionIndex = other;
                    if ((flags & VerFlgWeak) == 0)
                    {
                        WriteUInt16(elf, aux + 4, (ushort)(flags | VerFlgWeak));
                        changed++;
                    }
                }
                aux += BitConverter.ToUInt32(elf, (int)aux + 12);
            }
            uint next = BitConverter.ToUInt32(elf, (int)vn + 12);
            if (next == 0) break;
            vn += next;
        }
        if (versionIndex == 0) return 0; // this build of the library does not need GLIBCXX_3.4.32

        long symbols = dynsymSize / 24;
        for (long s = 0; s < symbols; s++)
        {
            long v = versymOff + s * 2;
            ushort ver = BitConverter.ToUInt16(elf, (int)v);
            if ((ver & 0x7fff) != versionIndex) continue;
            WriteUInt16(elf, v, VerNdxGlobal);
            changed++;
        }
        if (changed == 0) return 0;

        string tmp = path + ".patching";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            fs.Write(elf, 0, elf.Length);
            fs.Flush(true);
        }
        File.Replace(tmp, path, null); // rename over the original: a reader never sees a half-written library
        return changed;
    }

    static void WriteUInt16(byte[] b, long at, ushort v) { b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); }

    static string CString(byte[] b, long at)
    {
        long end = at;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
    }
}
