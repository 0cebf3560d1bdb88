// A stand-in oxend for running oxen-storage-server without a blockchain: the recipe's mock-oxend
// (../shared/peers/oxenss/mock-oxend) with one addition, a service node list of several nodes, so
// that a few oxenss instances on one machine know each other and relay onion requests between
// them (bench/oxenss.bench.ts, the 3-hop line).
//
// Serves over OxenMQ (plain, e.g. ipc://) the oxend calls oxenss makes: admin.get_service_node_privkey,
// admin.storage_server_ping, admin.report_peer_status, rpc.get_service_nodes, rpc.get_block_hash,
// sub.block. Without MOCK_OXEND_NETWORK the list holds one funded node (this one, swarm 0).
//
// usage: mock-oxend <omq listen addr> <public_ip> <https_port> <omq_port> [seed-file]
// seed-file: 32 raw bytes of Ed25519 seed; created with random bytes if missing.
// MOCK_OXEND_NETWORK=<file>: the whole service node list, a JSON array of
//   {"pubkey_ed25519", "pubkey_x25519", "public_ip", "storage_port", "storage_lmq_port", "swarm_id"}
//   (this node among them); each is reported funded and active, with its Ed25519 key as its
//   primary key, as this stand-in derives it.
// MOCK_OXEND_HF=19.3 (say): the hardfork reported.
#include <oxenmq/oxenmq.h>
#include <oxenc/hex.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>
#include <mutex>
#include <optional>
#include <cstring>
#include <cstdio>
#include <cstdlib>

using nlohmann::json;
using namespace std::literals;

static std::atomic<bool> stop{false};

int main(int argc, char** argv) {
    if (argc < 5) {
        std::cerr << "usage: " << argv[0]
                  << " <listen addr, e.g. ipc://oxend.sock> <public_ip> <https_port> "
                     "<omq_port> [seed-file]\n";
        return 1;
    }
    if (sodium_init() < 0)
        return 1;
    std::string listen = argv[1], ip = argv[2];
    int https_port = std::stoi(argv[3]), omq_port = std::stoi(argv[4]);

    unsigned char seed[32];
    std::string seedfile = argc > 5 ? argv[5] : "";
    bool have_seed = false;
    if (!seedfile.empty()) {
        std::ifstream in{seedfile, std::ios::binary};
        if (in && in.read(reinterpret_cast<char*>(seed), 32))
            have_seed = true;
    }
    if (!have_seed) {
        randombytes_buf(seed, 32);
        if (!seedfile.empty()) {
            std::ofstream out{seedfile, std::ios::binary};
            out.write(reinterpret_cast<const char*>(seed), 32);
        }
    }

    // ed25519 keypair from seed
    unsigned char ed_pk[32], ed_sk[64];
    crypto_sign_ed25519_seed_keypair(ed_pk, ed_sk, seed);
    // x25519 keys derived from ed25519 (as oxend does)
    unsigned char x_pk[32], x_sk[32];
    crypto_sign_ed25519_pk_to_curve25519(x_pk, ed_pk);
    crypto_sign_ed25519_sk_to_curve25519(x_sk, ed_sk);
    // legacy key: oxend (>= HF?) uses the clamped ed25519 scalar as the "legacy" key, so that
    // legacy pubkey == ed25519 pubkey.  a = clamp(SHA512(seed)[0..32]).
    unsigned char h[64];
    crypto_hash_sha512(h, seed, 32);
    h[0] &= 248;
    h[31] &= 63;
    h[31] |= 64;
    unsigned char legacy_sk[32], legacy_pk[32];
    // reduce mod L so that crypto_scalarmult_ed25519_base_noclamp behaves identically
    unsigned char wide[64] = {0};
    std::memcpy(wide, h, 32);
    crypto_core_ed25519_scalar_reduce(legacy_sk, wide);
    if (crypto_scalarmult_ed25519_base_noclamp(legacy_pk, legacy_sk) != 0) {
        std::cerr << "legacy pubkey derivation failed\n";
        return 1;
    }

    const auto hex = [](const unsigned char* p, size_t n) { return oxenc::to_hex(p, p + n); };
    std::cerr << "mock-oxend: legacy pubkey  " << hex(legacy_pk, 32) << "\n"
              << "mock-oxend: ed25519 pubkey " << hex(ed_pk, 32) << "\n"
              << "mock-oxend: x25519 pubkey  " << hex(x_pk, 32) << "\n";

    const uint64_t height = 1'000'000;
    // hardfork.snode_revision reported to oxenss; MOCK_OXEND_HF=19.3 (say) overrides
    int hf_major = 19, hf_minor = 4;
    if (const char* e = std::getenv("MOCK_OXEND_HF"))
        std::sscanf(e, "%d.%d", &hf_major, &hf_minor);
    std::cerr << "mock-oxend: reporting hardfork " << hf_major << "." << hf_minor << "\n";
    const std::string block_hash(64, 'a');

    json privkeys{
            {"service_node_privkey", hex(legacy_sk, 32)},
            {"service_node_ed25519_privkey", hex(ed_sk, 64)},
            {"service_node_x25519_privkey", hex(x_sk, 32)}};

    json sn_states = json::array();
    if (const char* net = std::getenv("MOCK_OXEND_NETWORK")) {
        std::ifstream in{net};
        json listed;
        try {
            listed = json::parse(in);
        } catch (const std::exception& e) {
            std::cerr << "mock-oxend: MOCK_OXEND_NETWORK " << net << ": " << e.what() << "\n";
            return 1;
        }
        bool self = false;
        for (const auto& n : listed) {
            const auto ed = n.at("pubkey_ed25519").get<std::string>();
            self = self || ed == hex(ed_pk, 32);
            const int port = n.at("storage_port").get<int>();
            sn_states.push_back(
                    {{"service_node_pubkey", ed},
                     {"swarm_id", n.value("swarm_id", 0)},
                     {"storage_port", port},
                     {"storage_server_port", port},
                     {"public_ip", n.at("public_ip").get<std::string>()},
                     {"funded", true},
                     {"active", true},
                     {"pubkey_x25519", n.at("pubkey_x25519").get<std::string>()},
                     {"pubkey_ed25519", ed},
                     {"storage_lmq_port", n.at("storage_lmq_port").get<int>()}});
        }
        if (!self) {
            std::cerr << "mock-oxend: MOCK_OXEND_NETWORK does not list this node ("
                      << hex(ed_pk, 32) << ")\n";
            return 1;
        }
        std::cerr << "mock-oxend: a network of " << sn_states.size() << " service nodes\n";
    } else {
        sn_states.push_back(
                {{"service_node_pubkey", hex(legacy_pk, 32)},
                 {"swarm_id", 0},
                 {"storage_port", https_port},
                 {"storage_server_port", https_port},
                 {"public_ip", ip},
                 {"funded", true},
                 {"active", true},
                 {"pubkey_x25519", hex(x_pk, 32)},
                 {"pubkey_ed25519", hex(ed_pk, 32)},
                 {"storage_lmq_port", omq_port}});
    }
    json sn_list{
            {"height", height},
            {"target_height", height},
            {"block_hash", block_hash},
            {"hardfork", hf_major},
            {"snode_revision", hf_minor},
            {"service_node_states", sn_states},
            {"status", "OK"}};

    std::mutex sub_mutex;
    std::optional<oxenmq::ConnectionID> sub_conn;

    oxenmq::OxenMQ omq{[](oxenmq::LogLevel, const char* f, int l, std::string msg) {
                           std::cerr << "[omq] " << f << ":" << l << " " << msg << "\n";
                       },
                       oxenmq::LogLevel::warn};

    omq.add_category("admin", oxenmq::AuthLevel::none)
            .add_request_command(
                    "get_service_node_privkey",
                    [&](oxenmq::Message& m) {
                        std::cerr << "mock-oxend: get_service_node_privkey\n";
                        m.send_reply("200", privkeys.dump());
                    })
            .add_request_command(
                    "storage_server_ping",
                    [&](oxenmq::Message& m) { m.send_reply("200", R"({"status":"OK"})"); })
            .add_request_command("report_peer_status", [&](oxenmq::Message& m) {
                m.send_reply("200", R"({"status":"OK"})");
            });
    omq.add_category("rpc", oxenmq::AuthLevel::none)
            .add_request_command(
                    "get_service_nodes",
                    [&](oxenmq::Message& m) {
                        bool unchanged = false;
                        if (!m.data.empty()) {
                            try {
                                auto p = json::parse(m.data[0]);
                                if (p.value("poll_block_hash", ""s) == block_hash)
                                    unchanged = true;
                            } catch (...) {
                            }
                        }
                        if (unchanged)
                            m.send_reply(
                                    "200",
                                    json{{"height", height},
                                         {"block_hash", block_hash},
                                         {"hardfork", hf_major},
                                         {"snode_revision", hf_minor},
                                         {"unchanged", true},
                                         {"status", "OK"}}
                                            .dump());
                        else
                            m.send_reply("200", sn_list.dump());
                    })
            .add_request_command("get_block_hash", [&](oxenmq::Message& m) {
                m.send_reply("200", "\"" + block_hash + "\"");
            });
    omq.add_category("sub", oxenmq::AuthLevel::none)
            .add_request_command("block", [&](oxenmq::Message& m) {
                std::lock_guard lock{sub_mutex};
                bool already = sub_conn.has_value() && *sub_conn == m.conn;
                sub_conn = m.conn;
                m.send_reply(already ? "ALREADY" : "OK");
            });

    // Like oxend, push notify.block to the subscribed storage server.  We push every 5s (the block
    // hash never changes, so after the first full update oxenss just gets {"unchanged":true}).
    // This is what gets oxenss out of "syncing" after its (failing) bootstrap-node attempt.
    omq.add_timer(
            [&] {
                std::optional<oxenmq::ConnectionID> c;
                {
                    std::lock_guard lock{sub_mutex};
                    c = sub_conn;
                }
                if (c)
                    omq.request(*c, "notify.block", [](bool, std::vector<std::string>) {});
            },
            5s);

    omq.listen_plain(listen, [](auto&&...) { return oxenmq::AuthLevel::admin; });
    omq.start();
    std::cerr << "mock-oxend: listening on " << listen << "\n";

    std::signal(SIGINT, [](int) { stop = true; });
    std::signal(SIGTERM, [](int) { stop = true; });
    while (!stop)
        std::this_thread::sleep_for(100ms);
    return 0;
}
