// A C# producer of shmbmp framed regions (PROTOCOL.md): creates /dev/shm/NAME with 3 slots
// and publishes each BMP file once, in order, following the seqlock rules with
// Interlocked/Volatile on seq and latest. Usage: mono FramedWriter.exe NAME FILE.bmp...
// Compile with: mcs -unsafe FramedWriter.cs
using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Threading;

unsafe class FramedWriter
{
    const int Header = 64;
    const int Slots = 3;

    static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: FramedWriter NAME FILE.bmp...");
            return 2;
        }
        string path = "/dev/shm/" + args[0];
        var frames = new byte[args.Length - 1][];
        long max = 0;
        for (int i = 1; i < args.Length; i++)
        {
            frames[i - 1] = File.ReadAllBytes(args[i]);
            max = Math.Max(max, frames[i - 1].Length);
        }
        long capacity = (max + 7) / 8 * 8;
        long size = Header + Slots * (Header + capacity);
        using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            fs.SetLength(size);
            using (var mmf = MemoryMappedFile.CreateFromFile(fs, null, size,
                       MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, true))
            using (var view = mmf.CreateViewAccessor(0, size))
            {
                byte* p = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
                try
                {
                    byte[] magic = System.Text.Encoding.ASCII.GetBytes("SHMBMP01");
                    Marshal.Copy(magic, 0, (IntPtr)p, 8);
                    *(uint*)(p + 8) = Slots;
                    *(uint*)(p + 12) = 0;
                    *(long*)(p + 16) = capacity;
                    Volatile.Write(ref *(long*)(p + 24), 0L);
                    var epoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
                    for (long n = 1; n <= frames.Length; n++)
                    {
                        byte[] bmp = frames[n - 1];
                        byte* slot = p + Header + ((n - 1) % Slots) * (Header + capacity);
                        long* seq = (long*)slot;
                        long s = Volatile.Read(ref *seq);
                        long begin = s % 2 == 0 ? s + 1 : s + 2;
                        Interlocked.Exchange(ref *seq, begin);        // odd: being written (full fence)
                        Marshal.Copy(bmp, 0, (IntPtr)(slot + Header), bmp.Length);
                        *(long*)(slot + 16) = bmp.Length;
                        *(long*)(slot + 8) = n;
                        *(long*)(slot + 24) = (DateTime.UtcNow - epoch).Ticks * 100;
                        Volatile.Write(ref *seq, begin + 1);          // even: stable (release)
                        Volatile.Write(ref *(long*)(p + 24), n);      // latest (release)
                    }
                }
                finally
                {
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
        }
        Console.WriteLine("published " + frames.Length + " frames to " + path);
        return 0;
    }
}
