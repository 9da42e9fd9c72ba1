// Test peer: publishes BMP files through the drop-in writer, clients/csharp/ShmbmpWriter.cs
// (compiled together: mcs -unsafe FramedWriter.cs ../../clients/csharp/ShmbmpWriter.cs).
// Usage: mono FramedWriter.exe NAME [--every MS] FILE.bmp...
//   Publishes each file once, in order, and exits; with --every, loops over the files, one
//   frame every MS ms, until stdin closes (printing "ready" after the first frame).
// Exit status 3: another writer holds NAME; 4: the region cannot be used.
using System;
using System.IO;
using System.Threading;

class FramedWriter
{
    static int Main(string[] args)
    {
        int every = -1, first = 1;
        if (args.Length > 2 && args[1] == "--every")
        {
            every = int.Parse(args[2]);
            first = 3;
        }
        if (args.Length <= first)
        {
            Console.Error.WriteLine("usage: FramedWriter NAME [--every MS] FILE.bmp...");
            return 2;
        }
        var frames = new byte[args.Length - first][];
        long max = 0;
        for (int i = first; i < args.Length; i++)
        {
            frames[i - first] = File.ReadAllBytes(args[i]);
            max = Math.Max(max, frames[i - first].Length);
        }
        ShmbmpWriter writer;
        try
        {
            writer = new ShmbmpWriter(args[0], max);
        }
        catch (ShmbmpBusyException e)
        {
            Console.Error.WriteLine(e.Message);
            return 3;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine(e.Message);
            return 4;
        }
        using (writer)
        {
            if (every < 0)
            {
                foreach (var f in frames)
                    writer.Publish(f);
                Console.WriteLine("published " + frames.Length + " frames to " + args[0]);
                return 0;
            }
            var stop = new ManualResetEvent(false);
            new Thread(() => { Console.In.ReadToEnd(); stop.Set(); }) { IsBackground = true }.Start();
            long n = 0;
            do
            {
                writer.Publish(frames[n % frames.Length]);
                if (n++ == 0)
                {
                    Console.WriteLine("ready");
                    Console.Out.Flush();
                }
            } while (!stop.WaitOne(every));
            Console.WriteLine("published " + n + " frames to " + args[0]);
        }
        return 0;
    }
}
