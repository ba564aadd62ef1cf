// tsviz's LibTorch runner: load a TorchScript archive in C++, run it on inputs saved from Python, write the
// outputs back, and time it (one thread, then T threads calling the same module at once).
//
//   tsviz_runner ARCHIVE INPUTS OUTPUTS [--warmup W] [--iters N] [--threads 1,2,4] [--seconds S]
//
// INPUTS is a file written in Python with torch.save(tuple_of_tensors, INPUTS) (one tensor alone is one input).
// OUTPUTS is written with torch::pickle_save: torch.load(OUTPUTS) reads it back in Python.
// One JSON object is printed on stdout: {"median_ms", "q1_ms", "q3_ms", "p90_ms", "iters",
// "threads": [{"n", "calls", "seconds", "per_second"}]}, or {"error": "..."} with exit status 1.
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string json_string(const std::string& text) {
  std::ostringstream out;
  out << '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') out << '\\' << c;
    else if (c == '\n') out << "\\n";
    else if (c < 0x20) out << "\\u00" << "0123456789abcdef"[c >> 4] << "0123456789abcdef"[c & 15];
    else out << c;
  }
  out << '"';
  return out.str();
}

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<torch::jit::IValue> read_inputs(const std::string& path) {
  torch::jit::IValue saved = torch::pickle_load(read_file(path));
  if (saved.isTuple()) {
    auto elements = saved.toTupleRef().elements();
    return std::vector<torch::jit::IValue>(elements.begin(), elements.end());
  }
  return {saved};
}

double percentile(const std::vector<double>& sorted, double q) {
  // linear interpolation between closest ranks, as numpy's default
  double at = q * (sorted.size() - 1);
  size_t low = static_cast<size_t>(at);
  size_t high = std::min(low + 1, sorted.size() - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

std::vector<int> parse_counts(const std::string& text) {
  std::vector<int> counts;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (!item.empty()) counts.push_back(std::max(1, std::stoi(item)));
  }
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: " << argv[0]
              << " ARCHIVE INPUTS OUTPUTS [--warmup W] [--iters N] [--threads 1,2,4] [--seconds S]\n";
    return 2;
  }
  int warmup = 3, iters = 20;
  double seconds = 0.3;
  std::vector<int> thread_counts;
  for (int i = 4; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--warmup") warmup = std::stoi(argv[i + 1]);
    else if (flag == "--iters") iters = std::max(1, std::stoi(argv[i + 1]));
    else if (flag == "--threads") thread_counts = parse_counts(argv[i + 1]);
    else if (flag == "--seconds") seconds = std::stod(argv[i + 1]);
  }
  try {
    // one intra-op thread per call: T threads are T calls at once, as a server's request threads would be
    at::set_num_threads(1);
    torch::jit::script::Module module = torch::jit::load(argv[1]);
    module.eval();
    std::vector<torch::jit::IValue> inputs = read_inputs(argv[2]);
    torch::NoGradGuard no_grad;
    c10::InferenceMode inference;
    torch::jit::IValue output = module.forward(inputs);
    std::vector<char> bytes = torch::pickle_save(output);
    std::ofstream(argv[3], std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

    for (int i = 0; i < warmup; ++i) module.forward(inputs);
    std::vector<double> times;
    for (int i = 0; i < iters; ++i) {
      auto start = Clock::now();
      module.forward(inputs);
      times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());

    std::ostringstream threads;
    for (size_t k = 0; k < thread_counts.size(); ++k) {
      int n = thread_counts[k];
      std::atomic<long> calls{0};
      std::atomic<bool> failed{false};
      std::vector<std::thread> pool;
      auto start = Clock::now();
      auto stop = start + std::chrono::duration<double>(seconds);
      for (int t = 0; t < n; ++t) {
        pool.emplace_back([&]() {
          torch::NoGradGuard no_grad_here;  // both guards are thread-local
          c10::InferenceMode inference_here;
          try {
            while (Clock::now() < stop) {
              module.forward(inputs);
              ++calls;
            }
          } catch (...) {
            failed = true;
          }
        });
      }
      for (auto& t : pool) t.join();
      double took = std::chrono::duration<double>(Clock::now() - start).count();
      if (failed) throw std::runtime_error("a call failed while " + std::to_string(n) + " threads ran at once");
      threads << (k ? "," : "") << "{\"n\":" << n << ",\"calls\":" << calls.load() << ",\"seconds\":" << took
              << ",\"per_second\":" << calls.load() / took << "}";
    }
    std::cout << "{\"median_ms\":" << percentile(times, 0.5) << ",\"q1_ms\":" << percentile(times, 0.25)
              << ",\"q3_ms\":" << percentile(times, 0.75) << ",\"p90_ms\":" << percentile(times, 0.9)
              << ",\"iters\":" << iters << ",\"threads\":[" << threads.str() << "]}" << std::endl;
    return 0;
  } catch (const c10::Error& e) {
    std::cout << "{\"error\":" << json_string(e.what_without_backtrace()) << "}" << std::endl;
  } catch (const std::exception& e) {
    std::cout << "{\"error\":" << json_string(e.what()) << "}" << std::endl;
  }
  return 1;
}
