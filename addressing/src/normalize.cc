// Normalisation of the basic four items; the rules are documented in addressing/normalize.h.
// Also defines SexLabel and ParseSex from addressing/person.h.
#include "addressing/normalize.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "netsim/errors.h"

namespace renkei::addressing {
namespace {

using netsim::Errc;

// ---------------------------------------------------------------------------------------------
// UTF-8

enum class Utf8Fault : std::uint8_t {
  kNone,
  kTruncated,         // the input ends, or a non-continuation byte comes, inside a sequence
  kLoneContinuation,  // a continuation byte where a sequence should start
  kInvalidLeadByte,   // 0xF8–0xFF
  kOverlong,          // a shorter encoding exists (includes lead bytes 0xC0, 0xC1)
  kSurrogate,         // U+D800–DFFF
  kTooLarge,          // above U+10FFFF (includes lead bytes 0xF5–0xF7)
};

std::string_view FaultText(Utf8Fault fault) {
  switch (fault) {
    case Utf8Fault::kNone:
      break;
    case Utf8Fault::kTruncated:
      return "truncated multi-byte sequence";
    case Utf8Fault::kLoneContinuation:
      return "continuation byte without a lead byte";
    case Utf8Fault::kInvalidLeadByte:
      return "byte that never occurs in UTF-8";
    case Utf8Fault::kOverlong:
      return "overlong encoding";
    case Utf8Fault::kSurrogate:
      return "encoded UTF-16 surrogate";
    case Utf8Fault::kTooLarge:
      return "code point above U+10FFFF";
  }
  std::cerr << "renkei: FaultText called without a fault\n";
  std::abort();
}

struct Decoded {
  char32_t cp = 0;
  std::uint8_t length = 0;  // bytes consumed; 0 when there is a fault
  Utf8Fault fault = Utf8Fault::kNone;
};

constexpr bool IsContinuation(unsigned char byte) { return (byte & 0xC0U) == 0x80U; }

// Decodes the scalar value starting at text[pos]; requires pos < text.size().
constexpr Decoded DecodeAt(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80U) return {lead, 1, Utf8Fault::kNone};
  if (IsContinuation(lead)) return {0, 0, Utf8Fault::kLoneContinuation};
  std::size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (lead < 0xE0U) {
    length = 2;
    cp = lead & 0x1FU;
    min = 0x80;
  } else if (lead < 0xF0U) {
    length = 3;
    cp = lead & 0x0FU;
    min = 0x800;
  } else if (lead < 0xF8U) {
    length = 4;
    cp = lead & 0x07U;
    min = 0x10000;
  } else {
    return {0, 0, Utf8Fault::kInvalidLeadByte};
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (pos + k >= text.size()) return {0, 0, Utf8Fault::kTruncated};
    const auto byte = static_cast<unsigned char>(text[pos + k]);
    if (!IsContinuation(byte)) return {0, 0, Utf8Fault::kTruncated};
    cp = (cp << 6) | (byte & 0x3FU);
  }
  if (cp < min) return {0, 0, Utf8Fault::kOverlong};
  if (cp >= 0xD800 && cp <= 0xDFFF) return {0, 0, Utf8Fault::kSurrogate};
  if (cp > 0x10FFFF) return {0, 0, Utf8Fault::kTooLarge};
  return {cp, static_cast<std::uint8_t>(length), Utf8Fault::kNone};
}

Error Utf8Error(std::string_view field, std::size_t offset, Utf8Fault fault) {
  std::string message(field);
  message += ": invalid UTF-8 at byte offset ";
  message += std::to_string(offset);
  message += ": ";
  message += FaultText(fault);
  return MakeError(Errc::kParseError, std::move(message));
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// ---------------------------------------------------------------------------------------------
// Variant kanji (rule 6)

struct KanjiFold {
  char32_t from;
  char32_t to;
};

// Sorted by `from`. The hand-written entries carry the characters in a comment. The block
// U+F900–FAFF is generated: every CJK compatibility ideograph with a canonical singleton
// decomposition (Unicode 14 UnicodeData.txt), mapped to that decomposition and then through the
// hand-written entries (e.g. U+F914 樂 → 樂 → 楽). U+FA11 﨑 has no decomposition and is
// hand-written (→ 崎) inside that block.
// clang-format off
constexpr KanjiFold kKanjiFolds[] = {
    {0x4E58, 0x4E57},  // 乘 → 乗
    {0x4E82, 0x4E71},  // 亂 → 乱
    {0x4E9E, 0x4E9C},  // 亞 → 亜
    {0x4F5B, 0x4ECF},  // 佛 → 仏
    {0x4F86, 0x6765},  // 來 → 来
    {0x5047, 0x4EEE},  // 假 → 仮
    {0x50B3, 0x4F1D},  // 傳 → 伝
    {0x50F9, 0x4FA1},  // 價 → 価
    {0x5109, 0x5039},  // 儉 → 倹
    {0x5152, 0x5150},  // 兒 → 児
    {0x5169, 0x4E21},  // 兩 → 両
    {0x51A8, 0x5BCC},  // 冨 → 富
    {0x5269, 0x5270},  // 剩 → 剰
    {0x528D, 0x5263},  // 劍 → 剣
    {0x5291, 0x5264},  // 劑 → 剤
    {0x52DE, 0x52B4},  // 勞 → 労
    {0x52F3, 0x52F2},  // 勳 → 勲
    {0x52F5, 0x52B1},  // 勵 → 励
    {0x5340, 0x533A},  // 區 → 区
    {0x5377, 0x5DFB},  // 卷 → 巻
    {0x53C3, 0x53C2},  // 參 → 参
    {0x55AE, 0x5358},  // 單 → 単
    {0x56B4, 0x53B3},  // 嚴 → 厳
    {0x5708, 0x570F},  // 圈 → 圏
    {0x570B, 0x56FD},  // 國 → 国
    {0x570D, 0x56F2},  // 圍 → 囲
    {0x5713, 0x5186},  // 圓 → 円
    {0x5716, 0x56F3},  // 圖 → 図
    {0x5718, 0x56E3},  // 團 → 団
    {0x589E, 0x5897},  // 增 → 増
    {0x58AE, 0x5815},  // 墮 → 堕
    {0x58D3, 0x5727},  // 壓 → 圧
    {0x58D8, 0x5841},  // 壘 → 塁
    {0x58EF, 0x58EE},  // 壯 → 壮
    {0x58F9, 0x58F1},  // 壹 → 壱
    {0x58FD, 0x5BFF},  // 壽 → 寿
    {0x5B78, 0x5B66},  // 學 → 学
    {0x5BE2, 0x5BDD},  // 寢 → 寝
    {0x5BE6, 0x5B9F},  // 實 → 実
    {0x5BEB, 0x5199},  // 寫 → 写
    {0x5BEC, 0x5BDB},  // 寬 → 寛
    {0x5BF6, 0x5B9D},  // 寶 → 宝
    {0x5C07, 0x5C06},  // 將 → 将
    {0x5C08, 0x5C02},  // 專 → 専
    {0x5C0D, 0x5BFE},  // 對 → 対
    {0x5C46, 0x5C4A},  // 屆 → 届
    {0x5C6C, 0x5C5E},  // 屬 → 属
    {0x5CEF, 0x5CF0},  // 峯 → 峰
    {0x5CFD, 0x5CE1},  // 峽 → 峡
    {0x5D5C, 0x5D0E},  // 嵜 → 崎
    {0x5D8B, 0x5CF6},  // 嶋 → 島
    {0x5D8C, 0x5CF6},  // 嶌 → 島
    {0x5DBD, 0x5CB3},  // 嶽 → 岳
    {0x5E36, 0x5E2F},  // 帶 → 帯
    {0x5EE2, 0x5EC3},  // 廢 → 廃
    {0x5EE3, 0x5E83},  // 廣 → 広
    {0x5EF3, 0x5E81},  // 廳 → 庁
    {0x5F48, 0x5F3E},  // 彈 → 弾
    {0x5F4C, 0x5F25},  // 彌 → 弥
    {0x5F91, 0x5F84},  // 徑 → 径
    {0x5F9E, 0x5F93},  // 從 → 従
    {0x5FB7, 0x5FB3},  // 德 → 徳
    {0x6046, 0x6052},  // 恆 → 恒
    {0x60E0, 0x6075},  // 惠 → 恵
    {0x60E1, 0x60AA},  // 惡 → 悪
    {0x60F1, 0x60A9},  // 惱 → 悩
    {0x613C, 0x614E},  // 愼 → 慎
    {0x6158, 0x60E8},  // 慘 → 惨
    {0x61C9, 0x5FDC},  // 應 → 応
    {0x6200, 0x604B},  // 戀 → 恋
    {0x6230, 0x6226},  // 戰 → 戦
    {0x62C2, 0x6255},  // 拂 → 払
    {0x62D4, 0x629C},  // 拔 → 抜
    {0x62DC, 0x62DD},  // 拜 → 拝
    {0x63D2, 0x633F},  // 插 → 挿
    {0x6416, 0x63FA},  // 搖 → 揺
    {0x641C, 0x635C},  // 搜 → 捜
    {0x64C7, 0x629E},  // 擇 → 択
    {0x64D4, 0x62C5},  // 擔 → 担
    {0x64DA, 0x62E0},  // 據 → 拠
    {0x64E7, 0x6319},  // 擧 → 挙
    {0x64F4, 0x62E1},  // 擴 → 拡
    {0x651D, 0x6442},  // 攝 → 摂
    {0x6536, 0x53CE},  // 收 → 収
    {0x6548, 0x52B9},  // 效 → 効
    {0x654D, 0x53D9},  // 敍 → 叙
    {0x6578, 0x6570},  // 數 → 数
    {0x65B7, 0x65AD},  // 斷 → 断
    {0x665D, 0x663C},  // 晝 → 昼
    {0x66C6, 0x66A6},  // 曆 → 暦
    {0x66C9, 0x6681},  // 曉 → 暁
    {0x6703, 0x4F1A},  // 會 → 会
    {0x6801, 0x67F3},  // 栁 → 柳
    {0x689D, 0x6761},  // 條 → 条
    {0x68E7, 0x685F},  // 棧 → 桟
    {0x69AE, 0x6804},  // 榮 → 栄
    {0x69C7, 0x69D9},  // 槇 → 槙
    {0x6A02, 0x697D},  // 樂 → 楽
    {0x6A13, 0x697C},  // 樓 → 楼
    {0x6A1E, 0x67A2},  // 樞 → 枢
    {0x6A23, 0x69D8},  // 樣 → 様
    {0x6AA2, 0x691C},  // 檢 → 検
    {0x6AFB, 0x685C},  // 櫻 → 桜
    {0x6B0A, 0x6A29},  // 權 → 権
    {0x6B50, 0x6B27},  // 歐 → 欧
    {0x6B61, 0x6B53},  // 歡 → 歓
    {0x6B77, 0x6B74},  // 歷 → 歴
    {0x6B78, 0x5E30},  // 歸 → 帰
    {0x6B98, 0x6B8B},  // 殘 → 残
    {0x6C23, 0x6C17},  // 氣 → 気
    {0x6C92, 0x6CA1},  // 沒 → 没
    {0x6DE8, 0x6D44},  // 淨 → 浄
    {0x6DFA, 0x6D45},  // 淺 → 浅
    {0x6E34, 0x6E07},  // 渴 → 渇
    {0x6EEF, 0x6EDE},  // 滯 → 滞
    {0x6EFF, 0x6E80},  // 滿 → 満
    {0x6F5B, 0x6F5C},  // 潛 → 潜
    {0x6F81, 0x6E0B},  // 澁 → 渋
    {0x6FA4, 0x6CA2},  // 澤 → 沢
    {0x6FD5, 0x6E7F},  // 濕 → 湿
    {0x6FDF, 0x6E08},  // 濟 → 済
    {0x6FF1, 0x6D5C},  // 濱 → 浜
    {0x6FF5, 0x6D5C},  // 濵 → 浜
    {0x7027, 0x6EDD},  // 瀧 → 滝
    {0x7028, 0x702C},  // 瀨 → 瀬
    {0x7063, 0x6E7E},  // 灣 → 湾
    {0x71C8, 0x706F},  // 燈 → 灯
    {0x71D2, 0x713C},  // 燒 → 焼
    {0x71DF, 0x55B6},  // 營 → 営
    {0x7210, 0x7089},  // 爐 → 炉
    {0x722D, 0x4E89},  // 爭 → 争
    {0x7232, 0x70BA},  // 爲 → 為
    {0x72C0, 0x72B6},  // 狀 → 状
    {0x72F9, 0x72ED},  // 狹 → 狭
    {0x734E, 0x5968},  // 獎 → 奨
    {0x7368, 0x72EC},  // 獨 → 独
    {0x7375, 0x731F},  // 獵 → 猟
    {0x7378, 0x7363},  // 獸 → 獣
    {0x737B, 0x732E},  // 獻 → 献
    {0x7501, 0x74F6},  // 甁 → 瓶
    {0x7576, 0x5F53},  // 當 → 当
    {0x758A, 0x7573},  // 疊 → 畳
    {0x767C, 0x767A},  // 發 → 発
    {0x76DC, 0x76D7},  // 盜 → 盗
    {0x76E1, 0x5C3D},  // 盡 → 尽
    {0x771E, 0x771F},  // 眞 → 真
    {0x788E, 0x7815},  // 碎 → 砕
    {0x7955, 0x79D8},  // 祕 → 秘
    {0x79AA, 0x7985},  // 禪 → 禅
    {0x79AE, 0x793C},  // 禮 → 礼
    {0x7A31, 0x79F0},  // 稱 → 称
    {0x7ADD, 0x4E26},  // 竝 → 並
    {0x7CB9, 0x7C8B},  // 粹 → 粋
    {0x7D93, 0x7D4C},  // 經 → 経
    {0x7DA0, 0x7DD1},  // 綠 → 緑
    {0x7E23, 0x770C},  // 縣 → 県
    {0x7E31, 0x7E26},  // 縱 → 縦
    {0x7E3D, 0x7DCF},  // 總 → 総
    {0x7E69, 0x7E04},  // 繩 → 縄
    {0x7E6A, 0x7D75},  // 繪 → 絵
    {0x7E7C, 0x7D99},  // 繼 → 継
    {0x7E8C, 0x7D9A},  // 續 → 続
    {0x7E96, 0x7E4A},  // 纖 → 繊
    {0x8070, 0x8061},  // 聰 → 聡
    {0x8072, 0x58F0},  // 聲 → 声
    {0x807D, 0x8074},  // 聽 → 聴
    {0x8085, 0x7C9B},  // 肅 → 粛
    {0x8166, 0x8133},  // 腦 → 脳
    {0x81DF, 0x81D3},  // 臟 → 臓
    {0x8207, 0x4E0E},  // 與 → 与
    {0x820A, 0x65E7},  // 舊 → 旧
    {0x8218, 0x9928},  // 舘 → 館
    {0x838A, 0x8358},  // 莊 → 荘
    {0x8396, 0x830E},  // 莖 → 茎
    {0x85CF, 0x8535},  // 藏 → 蔵
    {0x85E5, 0x85AC},  // 藥 → 薬
    {0x8655, 0x51E6},  // 處 → 処
    {0x883B, 0x86EE},  // 蠻 → 蛮
    {0x885E, 0x885B},  // 衞 → 衛
    {0x88DD, 0x88C5},  // 裝 → 装
    {0x89BA, 0x899A},  // 覺 → 覚
    {0x89BD, 0x89A7},  // 覽 → 覧
    {0x89C0, 0x89B3},  // 觀 → 観
    {0x89F8, 0x89E6},  // 觸 → 触
    {0x8B20, 0x8B21},  // 謠 → 謡
    {0x8B6F, 0x8A33},  // 譯 → 訳
    {0x8B80, 0x8AAD},  // 讀 → 読
    {0x8B8A, 0x5909},  // 變 → 変
    {0x8B93, 0x8B72},  // 讓 → 譲
    {0x8CB3, 0x5F10},  // 貳 → 弐
    {0x8CE3, 0x58F2},  // 賣 → 売
    {0x8CF4, 0x983C},  // 賴 → 頼
    {0x8D0A, 0x8CDB},  // 贊 → 賛
    {0x8E10, 0x8DF5},  // 踐 → 践
    {0x8F49, 0x8EE2},  // 轉 → 転
    {0x8FAD, 0x8F9E},  // 辭 → 辞
    {0x905E, 0x9013},  // 遞 → 逓
    {0x9072, 0x9045},  // 遲 → 遅
    {0x9089, 0x8FBA},  // 邉 → 辺
    {0x908A, 0x8FBA},  // 邊 → 辺
    {0x9189, 0x9154},  // 醉 → 酔
    {0x91C0, 0x91B8},  // 釀 → 醸
    {0x91CB, 0x91C8},  // 釋 → 釈
    {0x9304, 0x9332},  // 錄 → 録
    {0x9322, 0x92AD},  // 錢 → 銭
    {0x93AD, 0x93AE},  // 鎭 → 鎮
    {0x9435, 0x9244},  // 鐵 → 鉄
    {0x9444, 0x92F3},  // 鑄 → 鋳
    {0x945B, 0x9271},  // 鑛 → 鉱
    {0x95DC, 0x95A2},  // 關 → 関
    {0x9677, 0x9665},  // 陷 → 陥
    {0x96A8, 0x968F},  // 隨 → 随
    {0x96AA, 0x967A},  // 險 → 険
    {0x96B1, 0x96A0},  // 隱 → 隠
    {0x96DC, 0x96D1},  // 雜 → 雑
    {0x9738, 0x8987},  // 霸 → 覇
    {0x9748, 0x970A},  // 靈 → 霊
    {0x975C, 0x9759},  // 靜 → 静
    {0x986F, 0x9855},  // 顯 → 顕
    {0x9A37, 0x9A12},  // 騷 → 騒
    {0x9A45, 0x99C6},  // 驅 → 駆
    {0x9A57, 0x9A13},  // 驗 → 験
    {0x9A5B, 0x99C5},  // 驛 → 駅
    {0x9AD3, 0x9AC4},  // 髓 → 髄
    {0x9AD4, 0x4F53},  // 體 → 体
    {0x9AD9, 0x9AD8},  // 髙 → 高
    {0x9AEE, 0x9AEA},  // 髮 → 髪
    {0x9B2A, 0x95D8},  // 鬪 → 闘
    {0x9B2D, 0x95D8},  // 鬭 → 闘
    {0x9DC4, 0x9D8F},  // 鷄 → 鶏
    {0x9E7D, 0x5869},  // 鹽 → 塩
    {0x9EA5, 0x9EA6},  // 麥 → 麦
    {0x9ED1, 0x9ED2},  // 黑 → 黒
    {0x9ED8, 0x9ED9},  // 默 → 黙
    {0x9EDE, 0x70B9},  // 點 → 点
    {0x9F4A, 0x6589},  // 齊 → 斉
    {0x9F4B, 0x658E},  // 齋 → 斎
    {0x9F52, 0x6B6F},  // 齒 → 歯
    {0x9F61, 0x9F62},  // 齡 → 齢
    {0x9F9C, 0x4E80},  // 龜 → 亀
    {0xF900, 0x8C48}, {0xF901, 0x66F4}, {0xF902, 0x8ECA}, {0xF903, 0x8CC8}, {0xF904, 0x6ED1},
    {0xF905, 0x4E32}, {0xF906, 0x53E5}, {0xF907, 0x4E80}, {0xF908, 0x4E80}, {0xF909, 0x5951},
    {0xF90A, 0x91D1}, {0xF90B, 0x5587}, {0xF90C, 0x5948}, {0xF90D, 0x61F6}, {0xF90E, 0x7669},
    {0xF90F, 0x7F85}, {0xF910, 0x863F}, {0xF911, 0x87BA}, {0xF912, 0x88F8}, {0xF913, 0x908F},
    {0xF914, 0x697D}, {0xF915, 0x6D1B}, {0xF916, 0x70D9}, {0xF917, 0x73DE}, {0xF918, 0x843D},
    {0xF919, 0x916A}, {0xF91A, 0x99F1}, {0xF91B, 0x4E71}, {0xF91C, 0x5375}, {0xF91D, 0x6B04},
    {0xF91E, 0x721B}, {0xF91F, 0x862D}, {0xF920, 0x9E1E}, {0xF921, 0x5D50}, {0xF922, 0x6FEB},
    {0xF923, 0x85CD}, {0xF924, 0x8964}, {0xF925, 0x62C9}, {0xF926, 0x81D8}, {0xF927, 0x881F},
    {0xF928, 0x5ECA}, {0xF929, 0x6717}, {0xF92A, 0x6D6A}, {0xF92B, 0x72FC}, {0xF92C, 0x90CE},
    {0xF92D, 0x6765}, {0xF92E, 0x51B7}, {0xF92F, 0x52B4}, {0xF930, 0x64C4}, {0xF931, 0x6AD3},
    {0xF932, 0x7089}, {0xF933, 0x76E7}, {0xF934, 0x8001}, {0xF935, 0x8606}, {0xF936, 0x865C},
    {0xF937, 0x8DEF}, {0xF938, 0x9732}, {0xF939, 0x9B6F}, {0xF93A, 0x9DFA}, {0xF93B, 0x788C},
    {0xF93C, 0x797F}, {0xF93D, 0x7DD1}, {0xF93E, 0x83C9}, {0xF93F, 0x9332}, {0xF940, 0x9E7F},
    {0xF941, 0x8AD6}, {0xF942, 0x58DF}, {0xF943, 0x5F04}, {0xF944, 0x7C60}, {0xF945, 0x807E},
    {0xF946, 0x7262}, {0xF947, 0x78CA}, {0xF948, 0x8CC2}, {0xF949, 0x96F7}, {0xF94A, 0x5841},
    {0xF94B, 0x5C62}, {0xF94C, 0x697C}, {0xF94D, 0x6DDA}, {0xF94E, 0x6F0F}, {0xF94F, 0x7D2F},
    {0xF950, 0x7E37}, {0xF951, 0x964B}, {0xF952, 0x52D2}, {0xF953, 0x808B}, {0xF954, 0x51DC},
    {0xF955, 0x51CC}, {0xF956, 0x7A1C}, {0xF957, 0x7DBE}, {0xF958, 0x83F1}, {0xF959, 0x9675},
    {0xF95A, 0x8AAD}, {0xF95B, 0x62CF}, {0xF95C, 0x697D}, {0xF95D, 0x8AFE}, {0xF95E, 0x4E39},
    {0xF95F, 0x5BE7}, {0xF960, 0x6012}, {0xF961, 0x7387}, {0xF962, 0x7570}, {0xF963, 0x5317},
    {0xF964, 0x78FB}, {0xF965, 0x4FBF}, {0xF966, 0x5FA9}, {0xF967, 0x4E0D}, {0xF968, 0x6CCC},
    {0xF969, 0x6570}, {0xF96A, 0x7D22}, {0xF96B, 0x53C2}, {0xF96C, 0x585E}, {0xF96D, 0x7701},
    {0xF96E, 0x8449}, {0xF96F, 0x8AAA}, {0xF970, 0x6BBA}, {0xF971, 0x8FB0}, {0xF972, 0x6C88},
    {0xF973, 0x62FE}, {0xF974, 0x82E5}, {0xF975, 0x63A0}, {0xF976, 0x7565}, {0xF977, 0x4EAE},
    {0xF978, 0x4E21}, {0xF979, 0x51C9}, {0xF97A, 0x6881}, {0xF97B, 0x7CE7}, {0xF97C, 0x826F},
    {0xF97D, 0x8AD2}, {0xF97E, 0x91CF}, {0xF97F, 0x52B1}, {0xF980, 0x5442}, {0xF981, 0x5973},
    {0xF982, 0x5EEC}, {0xF983, 0x65C5}, {0xF984, 0x6FFE}, {0xF985, 0x792A}, {0xF986, 0x95AD},
    {0xF987, 0x9A6A}, {0xF988, 0x9E97}, {0xF989, 0x9ECE}, {0xF98A, 0x529B}, {0xF98B, 0x66A6},
    {0xF98C, 0x6B74}, {0xF98D, 0x8F62}, {0xF98E, 0x5E74}, {0xF98F, 0x6190}, {0xF990, 0x604B},
    {0xF991, 0x649A}, {0xF992, 0x6F23}, {0xF993, 0x7149}, {0xF994, 0x7489}, {0xF995, 0x79CA},
    {0xF996, 0x7DF4}, {0xF997, 0x806F}, {0xF998, 0x8F26}, {0xF999, 0x84EE}, {0xF99A, 0x9023},
    {0xF99B, 0x934A}, {0xF99C, 0x5217}, {0xF99D, 0x52A3}, {0xF99E, 0x54BD}, {0xF99F, 0x70C8},
    {0xF9A0, 0x88C2}, {0xF9A1, 0x8AAA}, {0xF9A2, 0x5EC9}, {0xF9A3, 0x5FF5}, {0xF9A4, 0x637B},
    {0xF9A5, 0x6BAE}, {0xF9A6, 0x7C3E}, {0xF9A7, 0x731F}, {0xF9A8, 0x4EE4}, {0xF9A9, 0x56F9},
    {0xF9AA, 0x5BE7}, {0xF9AB, 0x5DBA}, {0xF9AC, 0x601C}, {0xF9AD, 0x73B2}, {0xF9AE, 0x7469},
    {0xF9AF, 0x7F9A}, {0xF9B0, 0x8046}, {0xF9B1, 0x9234}, {0xF9B2, 0x96F6}, {0xF9B3, 0x970A},
    {0xF9B4, 0x9818}, {0xF9B5, 0x4F8B}, {0xF9B6, 0x793C}, {0xF9B7, 0x91B4}, {0xF9B8, 0x96B8},
    {0xF9B9, 0x60AA}, {0xF9BA, 0x4E86}, {0xF9BB, 0x50DA}, {0xF9BC, 0x5BEE}, {0xF9BD, 0x5C3F},
    {0xF9BE, 0x6599}, {0xF9BF, 0x697D}, {0xF9C0, 0x71CE}, {0xF9C1, 0x7642}, {0xF9C2, 0x84FC},
    {0xF9C3, 0x907C}, {0xF9C4, 0x9F8D}, {0xF9C5, 0x6688}, {0xF9C6, 0x962E}, {0xF9C7, 0x5289},
    {0xF9C8, 0x677B}, {0xF9C9, 0x67F3}, {0xF9CA, 0x6D41}, {0xF9CB, 0x6E9C}, {0xF9CC, 0x7409},
    {0xF9CD, 0x7559}, {0xF9CE, 0x786B}, {0xF9CF, 0x7D10}, {0xF9D0, 0x985E}, {0xF9D1, 0x516D},
    {0xF9D2, 0x622E}, {0xF9D3, 0x9678}, {0xF9D4, 0x502B}, {0xF9D5, 0x5D19}, {0xF9D6, 0x6DEA},
    {0xF9D7, 0x8F2A}, {0xF9D8, 0x5F8B}, {0xF9D9, 0x6144}, {0xF9DA, 0x6817}, {0xF9DB, 0x7387},
    {0xF9DC, 0x9686}, {0xF9DD, 0x5229}, {0xF9DE, 0x540F}, {0xF9DF, 0x5C65}, {0xF9E0, 0x6613},
    {0xF9E1, 0x674E}, {0xF9E2, 0x68A8}, {0xF9E3, 0x6CE5}, {0xF9E4, 0x7406}, {0xF9E5, 0x75E2},
    {0xF9E6, 0x7F79}, {0xF9E7, 0x88CF}, {0xF9E8, 0x88E1}, {0xF9E9, 0x91CC}, {0xF9EA, 0x96E2},
    {0xF9EB, 0x533F}, {0xF9EC, 0x6EBA}, {0xF9ED, 0x541D}, {0xF9EE, 0x71D0}, {0xF9EF, 0x7498},
    {0xF9F0, 0x85FA}, {0xF9F1, 0x96A3}, {0xF9F2, 0x9C57}, {0xF9F3, 0x9E9F}, {0xF9F4, 0x6797},
    {0xF9F5, 0x6DCB}, {0xF9F6, 0x81E8}, {0xF9F7, 0x7ACB}, {0xF9F8, 0x7B20}, {0xF9F9, 0x7C92},
    {0xF9FA, 0x72B6}, {0xF9FB, 0x7099}, {0xF9FC, 0x8B58}, {0xF9FD, 0x4EC0}, {0xF9FE, 0x8336},
    {0xF9FF, 0x523A}, {0xFA00, 0x5207}, {0xFA01, 0x5EA6}, {0xFA02, 0x62D3}, {0xFA03, 0x7CD6},
    {0xFA04, 0x5B85}, {0xFA05, 0x6D1E}, {0xFA06, 0x66B4}, {0xFA07, 0x8F3B}, {0xFA08, 0x884C},
    {0xFA09, 0x964D}, {0xFA0A, 0x898B}, {0xFA0B, 0x5ED3}, {0xFA0C, 0x5140}, {0xFA0D, 0x55C0},
    {0xFA10, 0x585A}, {0xFA11, 0x5D0E}, {0xFA12, 0x6674}, {0xFA15, 0x51DE}, {0xFA16, 0x732A},
    {0xFA17, 0x76CA}, {0xFA18, 0x793C}, {0xFA19, 0x795E}, {0xFA1A, 0x7965}, {0xFA1B, 0x798F},
    {0xFA1C, 0x9756}, {0xFA1D, 0x7CBE}, {0xFA1E, 0x7FBD}, {0xFA20, 0x8612}, {0xFA22, 0x8AF8},
    {0xFA25, 0x9038}, {0xFA26, 0x90FD}, {0xFA2A, 0x98EF}, {0xFA2B, 0x98FC}, {0xFA2C, 0x9928},
    {0xFA2D, 0x9DB4}, {0xFA2E, 0x90DE}, {0xFA2F, 0x96B7}, {0xFA30, 0x4FAE}, {0xFA31, 0x50E7},
    {0xFA32, 0x514D}, {0xFA33, 0x52C9}, {0xFA34, 0x52E4}, {0xFA35, 0x5351}, {0xFA36, 0x559D},
    {0xFA37, 0x5606}, {0xFA38, 0x5668}, {0xFA39, 0x5840}, {0xFA3A, 0x58A8}, {0xFA3B, 0x5C64},
    {0xFA3C, 0x5C6E}, {0xFA3D, 0x6094}, {0xFA3E, 0x6168}, {0xFA3F, 0x618E}, {0xFA40, 0x61F2},
    {0xFA41, 0x654F}, {0xFA42, 0x65E2}, {0xFA43, 0x6691}, {0xFA44, 0x6885}, {0xFA45, 0x6D77},
    {0xFA46, 0x6E1A}, {0xFA47, 0x6F22}, {0xFA48, 0x716E}, {0xFA49, 0x722B}, {0xFA4A, 0x7422},
    {0xFA4B, 0x7891}, {0xFA4C, 0x793E}, {0xFA4D, 0x7949}, {0xFA4E, 0x7948}, {0xFA4F, 0x7950},
    {0xFA50, 0x7956}, {0xFA51, 0x795D}, {0xFA52, 0x798D}, {0xFA53, 0x798E}, {0xFA54, 0x7A40},
    {0xFA55, 0x7A81}, {0xFA56, 0x7BC0}, {0xFA57, 0x7DF4}, {0xFA58, 0x7E09}, {0xFA59, 0x7E41},
    {0xFA5A, 0x7F72}, {0xFA5B, 0x8005}, {0xFA5C, 0x81ED}, {0xFA5D, 0x8279}, {0xFA5E, 0x8279},
    {0xFA5F, 0x8457}, {0xFA60, 0x8910}, {0xFA61, 0x8996}, {0xFA62, 0x8B01}, {0xFA63, 0x8B39},
    {0xFA64, 0x8CD3}, {0xFA65, 0x8D08}, {0xFA66, 0x8FB6}, {0xFA67, 0x9038}, {0xFA68, 0x96E3},
    {0xFA69, 0x97FF}, {0xFA6A, 0x983B}, {0xFA6B, 0x6075}, {0xFA6C, 0x242EE}, {0xFA6D, 0x9928},
    {0xFA70, 0x4E26}, {0xFA71, 0x51B5}, {0xFA72, 0x5168}, {0xFA73, 0x4F80}, {0xFA74, 0x5145},
    {0xFA75, 0x5180}, {0xFA76, 0x52C7}, {0xFA77, 0x52FA}, {0xFA78, 0x559D}, {0xFA79, 0x5555},
    {0xFA7A, 0x5599}, {0xFA7B, 0x55E2}, {0xFA7C, 0x585A}, {0xFA7D, 0x58B3}, {0xFA7E, 0x5944},
    {0xFA7F, 0x5954}, {0xFA80, 0x5A62}, {0xFA81, 0x5B28}, {0xFA82, 0x5ED2}, {0xFA83, 0x5ED9},
    {0xFA84, 0x5F69}, {0xFA85, 0x5FAD}, {0xFA86, 0x60D8}, {0xFA87, 0x614E}, {0xFA88, 0x6108},
    {0xFA89, 0x618E}, {0xFA8A, 0x6160}, {0xFA8B, 0x61F2}, {0xFA8C, 0x6234}, {0xFA8D, 0x63C4},
    {0xFA8E, 0x635C}, {0xFA8F, 0x6452}, {0xFA90, 0x6556}, {0xFA91, 0x6674}, {0xFA92, 0x6717},
    {0xFA93, 0x671B}, {0xFA94, 0x6756}, {0xFA95, 0x6B79}, {0xFA96, 0x6BBA}, {0xFA97, 0x6D41},
    {0xFA98, 0x6EDB}, {0xFA99, 0x6ECB}, {0xFA9A, 0x6F22}, {0xFA9B, 0x701E}, {0xFA9C, 0x716E},
    {0xFA9D, 0x77A7}, {0xFA9E, 0x7235}, {0xFA9F, 0x72AF}, {0xFAA0, 0x732A}, {0xFAA1, 0x7471},
    {0xFAA2, 0x7506}, {0xFAA3, 0x753B}, {0xFAA4, 0x761D}, {0xFAA5, 0x761F}, {0xFAA6, 0x76CA},
    {0xFAA7, 0x76DB}, {0xFAA8, 0x76F4}, {0xFAA9, 0x774A}, {0xFAAA, 0x7740}, {0xFAAB, 0x78CC},
    {0xFAAC, 0x7AB1}, {0xFAAD, 0x7BC0}, {0xFAAE, 0x7C7B}, {0xFAAF, 0x7D5B}, {0xFAB0, 0x7DF4},
    {0xFAB1, 0x7F3E}, {0xFAB2, 0x8005}, {0xFAB3, 0x8352}, {0xFAB4, 0x83EF}, {0xFAB5, 0x8779},
    {0xFAB6, 0x8941}, {0xFAB7, 0x8986}, {0xFAB8, 0x8996}, {0xFAB9, 0x8ABF}, {0xFABA, 0x8AF8},
    {0xFABB, 0x8ACB}, {0xFABC, 0x8B01}, {0xFABD, 0x8AFE}, {0xFABE, 0x8AED}, {0xFABF, 0x8B39},
    {0xFAC0, 0x5909}, {0xFAC1, 0x8D08}, {0xFAC2, 0x8F38}, {0xFAC3, 0x9045}, {0xFAC4, 0x9199},
    {0xFAC5, 0x9276}, {0xFAC6, 0x967C}, {0xFAC7, 0x96E3}, {0xFAC8, 0x9756}, {0xFAC9, 0x97DB},
    {0xFACA, 0x97FF}, {0xFACB, 0x980B}, {0xFACC, 0x983B}, {0xFACD, 0x9B12}, {0xFACE, 0x4E80},
    {0xFACF, 0x2284A}, {0xFAD0, 0x22844}, {0xFAD1, 0x233D5}, {0xFAD2, 0x3B9D}, {0xFAD3, 0x4018},
    {0xFAD4, 0x4039}, {0xFAD5, 0x25249}, {0xFAD6, 0x25CD0}, {0xFAD7, 0x27ED3}, {0xFAD8, 0x9F43},
    {0xFAD9, 0x9F8E},
    {0x20BB7, 0x5409},  // 𠮷 → 吉
};
// clang-format on

constexpr bool KanjiFoldsSorted() {
  for (std::size_t i = 1; i < std::size(kKanjiFolds); ++i) {
    if (!(kKanjiFolds[i - 1].from < kKanjiFolds[i].from)) return false;
  }
  return true;
}

constexpr const KanjiFold* FindKanjiFold(char32_t cp) {
  const auto* it = std::lower_bound(std::begin(kKanjiFolds), std::end(kKanjiFolds), cp,
                                    [](const KanjiFold& f, char32_t c) { return f.from < c; });
  return (it != std::end(kKanjiFolds) && it->from == cp) ? it : nullptr;
}

constexpr bool KanjiFoldsIdempotent() {
  for (const KanjiFold& f : kKanjiFolds) {
    if (f.from == f.to || FindKanjiFold(f.to) != nullptr) return false;
  }
  return true;
}

static_assert(KanjiFoldsSorted(), "kKanjiFolds must be sorted by `from` without duplicates");
static_assert(KanjiFoldsIdempotent(), "a fold target must not itself be folded");
static_assert(std::size(kKanjiFolds) >= 80 + 460, "hand-written pairs plus the compat block");

// ---------------------------------------------------------------------------------------------
// Common rules (1–9)

constexpr bool IsSpace(char32_t c) {
  return c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0xA0 || c == 0x3000;
}

constexpr bool IsVariationSelector(char32_t c) {
  return (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF);
}

// U+FF61–FF9D in order.
constexpr std::u16string_view kHalfWidthKana =
    u"。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノ"
    u"ハヒフヘホマミムメモヤユヨラリルレロワン";
static_assert(kHalfWidthKana.size() == 0xFF9D - 0xFF61 + 1);

constexpr char32_t kVoicedMark = 0x309B;      // ゛
constexpr char32_t kSemiVoicedMark = 0x309C;  // ゜

// Rules 3 and 4 except composition: full-width ASCII and half-width kana; the half-width
// voicing marks become the spacing marks, which the caller composes.
constexpr char32_t FoldWidth(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFEE0;
  if (c >= 0xFF61 && c <= 0xFF9D) return kHalfWidthKana[c - 0xFF61];
  if (c == 0xFF9E) return kVoicedMark;
  if (c == 0xFF9F) return kSemiVoicedMark;
  return c;
}

// The voiced (dakuten) form of a kana, or 0. Katakana U+30A1–30F6 mirror hiragana at +0x60.
constexpr char32_t Voiced(char32_t c) {
  switch (c) {
    case 0x3046:
      return 0x3094;  // う → ゔ
    case 0x309D:
      return 0x309E;  // ゝ → ゞ
    case 0x30A6:
      return 0x30F4;  // ウ → ヴ
    case 0x30EF:
      return 0x30F7;  // ワ → ヷ
    case 0x30F0:
      return 0x30F8;  // ヰ → ヸ
    case 0x30F1:
      return 0x30F9;  // ヱ → ヹ
    case 0x30F2:
      return 0x30FA;  // ヲ → ヺ
    case 0x30FD:
      return 0x30FE;  // ヽ → ヾ
    default:
      break;
  }
  const char32_t h = (c >= 0x30A1 && c <= 0x30F6) ? c - 0x60 : c;
  const bool ka_to_chi = h >= 0x304B && h <= 0x3061 && h % 2 == 1;          // か … ち
  const bool tsu_te_to = h == 0x3064 || h == 0x3066 || h == 0x3068;         // つ て と
  const bool ha_row = h >= 0x306F && h <= 0x307B && (h - 0x306F) % 3 == 0;  // は ひ ふ へ ほ
  return (ka_to_chi || tsu_te_to || ha_row) ? c + 1 : 0;
}

// The semi-voiced (handakuten) form of a kana, or 0: only the は row.
constexpr char32_t SemiVoiced(char32_t c) {
  const char32_t h = (c >= 0x30A1 && c <= 0x30F6) ? c - 0x60 : c;
  return (h >= 0x306F && h <= 0x307B && (h - 0x306F) % 3 == 0) ? c + 2 : 0;
}

static_assert(Voiced(U'カ') == U'ガ' && Voiced(U'ち') == U'ぢ' && Voiced(U'ト') == U'ド');
static_assert(Voiced(U'ホ') == U'ボ' && Voiced(U'ッ') == 0 && Voiced(U'ナ') == 0);
static_assert(SemiVoiced(U'ヘ') == U'ペ' && SemiVoiced(U'ひ') == U'ぴ' && SemiVoiced(U'カ') == 0);

constexpr bool IsLongVowelLookalike(char32_t c) {
  return c == U'-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0x2500 || c == 0xFE63;
}

enum class Script : std::uint8_t {
  kName,     // rules 1–6
  kKana,     // rules 1–9
  kAddress,  // rules 2–6, and each run of spaces kept as one ASCII space for rule 12
};

// Applies the common rules; `field` names the item in error messages.
Result<std::string> NormalizeText(std::string_view text, Script script, std::string_view field) {
  std::string out;
  out.reserve(text.size());
  std::size_t last_start = 0;  // where the last emitted code point begins in `out`
  char32_t last = 0;           // the last emitted code point, 0 at the start
  for (std::size_t pos = 0; pos < text.size();) {
    const Decoded d = DecodeAt(text, pos);
    if (d.fault != Utf8Fault::kNone) return Utf8Error(field, pos, d.fault);
    pos += d.length;
    char32_t c = d.cp;
    if (IsVariationSelector(c)) continue;
    if (IsSpace(c)) {
      if (script == Script::kAddress && last != U' ') {
        last_start = out.size();
        out += ' ';
        last = U' ';
      }
      continue;
    }
    c = FoldWidth(c);
    if (c == 0x3099 || c == kVoicedMark || c == 0x309A || c == kSemiVoicedMark) {
      const bool voiced = c == 0x3099 || c == kVoicedMark;
      if (const char32_t composed = voiced ? Voiced(last) : SemiVoiced(last); composed != 0) {
        out.resize(last_start);
        AppendUtf8(out, composed);
        last = composed;
        continue;
      }
      c = voiced ? kVoicedMark : kSemiVoicedMark;
    }
    if (script == Script::kKana) {
      if ((c >= 0x3041 && c <= 0x3096) || c == 0x309D || c == 0x309E) c += 0x60;
      if (IsLongVowelLookalike(c)) c = U'ー';
    }
    if (c >= U'a' && c <= U'z') c -= 0x20;
    c = FoldVariantKanji(c);
    last_start = out.size();
    AppendUtf8(out, c);
    last = c;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Address rules (10–13), applied to the output of the common rules.

constexpr bool IsAsciiDigit(char32_t c) { return c >= U'0' && c <= U'9'; }

constexpr bool IsKanji(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F) || c == U'々';
}

// The digit value of a kanji numeral digit, the multiplier of 十百千, or -1.
constexpr int KanjiDigit(char32_t c) {
  switch (c) {
    case U'〇':
      return 0;
    case U'一':
      return 1;
    case U'二':
      return 2;
    case U'三':
      return 3;
    case U'四':
      return 4;
    case U'五':
      return 5;
    case U'六':
      return 6;
    case U'七':
      return 7;
    case U'八':
      return 8;
    case U'九':
      return 9;
    default:
      return -1;
  }
}

constexpr int KanjiMultiplier(char32_t c) {
  switch (c) {
    case U'十':
      return 10;
    case U'百':
      return 100;
    case U'千':
      return 1000;
    default:
      return 0;
  }
}

constexpr bool IsKanjiNumeral(char32_t c) { return KanjiDigit(c) >= 0 || KanjiMultiplier(c) > 0; }

// The value of a run of kanji numerals, or nullopt when the run is not a well-formed number.
// Positional runs (二〇, 一二) read digit by digit; runs with 十百千 need strictly decreasing
// multipliers, each preceded by at most one digit 1–9 (二千十五, 二十三, 百).
constexpr std::optional<int> ParseKanjiNumber(std::u32string_view run) {
  const bool positional =
      std::none_of(run.begin(), run.end(), [](char32_t c) { return KanjiMultiplier(c) > 0; });
  if (positional) {
    if (run.size() > 4) return std::nullopt;
    int value = 0;
    for (char32_t c : run) value = value * 10 + KanjiDigit(c);
    return value;
  }
  int total = 0;
  int pending = -1;  // a digit waiting for its multiplier
  int last_multiplier = 10000;
  for (char32_t c : run) {
    if (const int m = KanjiMultiplier(c); m > 0) {
      if (m >= last_multiplier || pending == 0) return std::nullopt;
      total += (pending < 0 ? 1 : pending) * m;
      pending = -1;
      last_multiplier = m;
    } else {
      if (pending >= 0) return std::nullopt;
      pending = KanjiDigit(c);
    }
  }
  if (pending == 0) return std::nullopt;
  return total + (pending < 0 ? 0 : pending);
}

static_assert(ParseKanjiNumber(U"二十三") == 23 && ParseKanjiNumber(U"十") == 10);
static_assert(ParseKanjiNumber(U"二〇") == 20 && ParseKanjiNumber(U"百五") == 105);
static_assert(!ParseKanjiNumber(U"十二十") && !ParseKanjiNumber(U"二三十"));

constexpr bool StopsLabel(char32_t c) {
  return c == U'町' || c == U'室' || c == U'棟' || c == U'館' || c == U'線' || c == U'街';
}

enum class Label : std::uint8_t { kNone, kChome, kBanchi, kBan, kGo };

struct LabelAt {
  Label label = Label::kNone;
  std::size_t length = 0;
};

// The block label (rule 11) starting at s[i], if any.
LabelAt FindLabel(std::u32string_view s, std::size_t i) {
  if (i >= s.size()) return {};
  const char32_t next = i + 1 < s.size() ? s[i + 1] : 0;
  if (s[i] == U'丁' && next == U'目') return {Label::kChome, 2};
  if (s[i] == U'番' && next == U'地') return {Label::kBanchi, 2};
  if (s[i] == U'番' && !StopsLabel(next)) return {Label::kBan, 1};
  if (s[i] == U'号' && !StopsLabel(next)) return {Label::kGo, 1};
  return {};
}

struct Number {
  std::string digits;
  std::size_t length = 0;  // code points consumed
};

// The number (rule 10) starting at s[i]: a run of ASCII digits, or a run of kanji numerals that
// qualifies as a block number. `in_chain` is true right after a block label.
std::optional<Number> NumberAt(std::u32string_view s, std::size_t i, bool in_chain) {
  if (i >= s.size()) return std::nullopt;
  std::size_t end = i;
  if (IsAsciiDigit(s[i])) {
    while (end < s.size() && IsAsciiDigit(s[end])) ++end;
    Number n;
    for (std::size_t k = i; k < end; ++k) n.digits += static_cast<char>(s[k]);
    n.length = end - i;
    return n;
  }
  while (end < s.size() && IsKanjiNumeral(s[end])) ++end;
  if (end == i) return std::nullopt;
  const Label label = FindLabel(s, end).label;
  const bool qualifies =
      label == Label::kChome || label == Label::kBanchi ||
      (in_chain && (label != Label::kNone || end == s.size() || !IsKanji(s[end])));
  if (!qualifies) return std::nullopt;
  const std::optional<int> value = ParseKanjiNumber(s.substr(i, end - i));
  if (!value) return std::nullopt;
  return Number{std::to_string(*value), end - i};
}

constexpr bool IsHyphenLookalike(char32_t c) {
  return c == U'-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0x2500 || c == 0xFE63;
}

constexpr bool IsKeVariant(char32_t c) {
  return c == U'ケ' || c == U'ヶ' || c == U'ヵ' || c == U'が' || c == U'ガ';
}

// Rules 10–13 over the output of NormalizeText(…, Script::kAddress).
std::string ApplyAddressRules(std::string_view common) {
  // Rule 1 for addresses: drop the spaces, but a space between two digits separates numbers.
  std::u32string s;
  s.reserve(common.size());
  bool pending_space = false;
  for (std::size_t pos = 0; pos < common.size();) {
    const Decoded d = DecodeAt(common, pos);
    if (d.fault != Utf8Fault::kNone) {
      std::cerr << "renkei: ApplyAddressRules given invalid UTF-8\n";
      std::abort();
    }
    pos += d.length;
    if (d.cp == U' ') {
      pending_space = true;
      continue;
    }
    if (pending_space && !s.empty() && IsAsciiDigit(s.back()) && IsAsciiDigit(d.cp)) s += U'-';
    pending_space = false;
    s += d.cp;
  }
  std::string out;
  out.reserve(common.size());  // every rule shortens or keeps the text
  char32_t prev = 0;           // last emitted code point
  std::size_t i = 0;
  while (i < s.size()) {
    const char32_t c = s[i];
    if (IsAsciiDigit(c) || IsKanjiNumeral(c)) {
      std::optional<Number> number = NumberAt(s, i, /*in_chain=*/false);
      if (!number) {
        // A kanji numeral run that is part of a place name: keep the whole run.
        while (i < s.size() && IsKanjiNumeral(s[i])) {
          AppendUtf8(out, s[i]);
          prev = s[i++];
        }
        continue;
      }
      // A chain of numbers joined by labels: 1丁目2番地の3号 → 1-2-3.
      while (number) {
        out += number->digits;
        prev = U'0';
        i += number->length;
        const LabelAt label = FindLabel(s, i);
        if (label.label == Label::kNone) break;
        i += label.length;
        std::size_t j = i;
        if (j < s.size() && s[j] == U'の' && NumberAt(s, j + 1, true)) ++j;
        number = NumberAt(s, j, /*in_chain=*/true);
        if (number) {
          out += '-';
          i = j;
        }
      }
      continue;
    }
    const char32_t next = i + 1 < s.size() ? s[i + 1] : 0;
    if (IsHyphenLookalike(c) ||
        ((c == U'ー' || c == U'の') && IsAsciiDigit(prev) && IsAsciiDigit(next))) {
      out += '-';
      prev = U'-';
      ++i;
      continue;
    }
    const char32_t emitted = (IsKeVariant(c) && IsKanji(prev) && IsKanji(next)) ? U'ケ' : c;
    AppendUtf8(out, emitted);
    prev = emitted;
    ++i;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Birth dates

struct Ymd {
  int year = 0;
  int month = 0;
  int day = 0;
  constexpr auto operator<=>(const Ymd&) const = default;
};

struct Era {
  std::string_view kanji;
  std::string_view letter;
  std::string_view square;  // the one-character ligature, e.g. ㍼
  Ymd first;
  Ymd last;
};

constexpr std::array<Era, 5> kEras = {{
    {"明治", "M", "㍾", {1868, 1, 25}, {1912, 7, 29}},
    {"大正", "T", "㍽", {1912, 7, 30}, {1926, 12, 24}},
    {"昭和", "S", "㍼", {1926, 12, 25}, {1989, 1, 7}},
    {"平成", "H", "㍻", {1989, 1, 8}, {2019, 4, 30}},
    {"令和", "R", "㋿", {2019, 5, 1}, {9999, 12, 31}},
}};

constexpr bool IsLeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

constexpr int DaysInMonth(int year, int month) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

void AppendPadded(std::string& out, int value, int width) {
  const std::string digits = std::to_string(value);
  out.append(static_cast<std::size_t>(std::max(0, width - static_cast<int>(digits.size()))), '0');
  out += digits;
}

std::string FormatYmd(const Ymd& ymd) {
  std::string out;
  out.reserve(10);
  AppendPadded(out, ymd.year, 4);
  out += '-';
  AppendPadded(out, ymd.month, 2);
  out += '-';
  AppendPadded(out, ymd.day, 2);
  return out;
}

Error DateError(Errc code, std::string_view problem) {
  return MakeError(code, "birth date: " + std::string(problem));
}

// Reads a run of ASCII digits at s[pos]; returns the number of digits read (0 if none).
std::size_t ReadDigits(std::string_view s, std::size_t& pos, int* value) {
  const std::size_t start = pos;
  *value = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && pos - start < 8) {
    *value = *value * 10 + (s[pos] - '0');
    ++pos;
  }
  return pos - start;
}

bool Consume(std::string_view s, std::size_t& pos, std::string_view token) {
  if (s.substr(pos, token.size()) != token) return false;
  pos += token.size();
  return true;
}

// Checks that `ymd` exists (and lies inside `era`, whose year `era_year` was written) and
// formats it.
Result<std::string> ValidateDate(const Ymd& ymd, const Era* era, int era_year) {
  if (ymd.year < 1 || ymd.year > 9999) {
    return DateError(Errc::kInvalidArgument,
                     "year " + std::to_string(ymd.year) + " is out of range (0001-9999)");
  }
  if (ymd.month < 1 || ymd.month > 12) {
    return DateError(Errc::kInvalidArgument,
                     "month " + std::to_string(ymd.month) + " is out of range (1-12)");
  }
  if (const int days = DaysInMonth(ymd.year, ymd.month); ymd.day < 1 || ymd.day > days) {
    std::string problem = "day " + std::to_string(ymd.day) + " does not exist in ";
    AppendPadded(problem, ymd.year, 4);
    problem += '-';
    AppendPadded(problem, ymd.month, 2);
    problem += " (" + std::to_string(days) + " days)";
    return DateError(Errc::kInvalidArgument, problem);
  }
  if (era != nullptr && (ymd < era->first || era->last < ymd)) {
    std::string problem(era->kanji);
    problem += era_year == 1 ? std::string("元") : std::to_string(era_year);
    problem += "年" + std::to_string(ymd.month) + "月" + std::to_string(ymd.day) + "日 is " +
               FormatYmd(ymd) + ", outside " + std::string(era->kanji) + " (" +
               FormatYmd(era->first) + " to " +
               (era->last.year == 9999 ? std::string("now") : FormatYmd(era->last)) + ")";
    return DateError(Errc::kInvalidArgument, problem);
  }
  return FormatYmd(ymd);
}

// Parses the output of the common rules; `s` is not empty.
Result<std::string> ParseBirthDate(std::string_view s) {
  std::size_t pos = 0;
  Ymd ymd;
  if (s.size() == 8 &&
      std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    ReadDigits(s.substr(0, 4), pos, &ymd.year);
    pos = 0;
    ReadDigits(s.substr(4, 2), pos, &ymd.month);
    pos = 0;
    ReadDigits(s.substr(6, 2), pos, &ymd.day);
    return ValidateDate(ymd, nullptr, 0);
  }
  const Era* era = nullptr;
  for (const Era& e : kEras) {
    if (Consume(s, pos, e.kanji) || Consume(s, pos, e.letter) || Consume(s, pos, e.square)) {
      era = &e;
      break;
    }
  }
  int year = 0;
  if (era == nullptr) {
    if (ReadDigits(s, pos, &year) != 4) {
      return DateError(Errc::kParseError,
                       "expected a four-digit year or an era (明治 大正 昭和 平成 令和, "
                       "M T S H R) at the start");
    }
  } else if (Consume(s, pos, "元")) {
    year = 1;
  } else {
    const std::size_t digits = ReadDigits(s, pos, &year);
    if (digits == 0 || digits > 2) {
      return DateError(Errc::kParseError, "expected the era year (1 or 2 digits, or 元) after " +
                                              std::string(era->kanji));
    }
    if (year == 0) {
      return DateError(Errc::kInvalidArgument, "era year 0 does not exist (the first is 元年)");
    }
  }
  if (pos == s.size()) return DateError(Errc::kParseError, "missing month and day");
  std::string_view month_end;
  std::string_view day_end;
  if (Consume(s, pos, "年")) {
    month_end = "月";
    day_end = "日";
  } else if (s[pos] == '-' || s[pos] == '/' || s[pos] == '.') {
    month_end = s.substr(pos, 1);  // the same separator must come again
    ++pos;
  } else {
    return DateError(Errc::kParseError, "expected 年 or a separator (- / .) after the year");
  }
  const std::size_t month_digits = ReadDigits(s, pos, &ymd.month);
  if (month_digits == 0 || month_digits > 2 || !Consume(s, pos, month_end)) {
    return DateError(Errc::kParseError,
                     "expected a month of 1 or 2 digits followed by " + std::string(month_end));
  }
  const std::size_t day_digits = ReadDigits(s, pos, &ymd.day);
  if (day_digits == 0 || day_digits > 2 || !Consume(s, pos, day_end)) {
    return DateError(Errc::kParseError, day_end.empty()
                                            ? std::string("expected a day of 1 or 2 digits")
                                            : "expected a day of 1 or 2 digits followed by 日");
  }
  if (pos != s.size()) return DateError(Errc::kParseError, "unexpected text after the day");
  ymd.year = era != nullptr ? era->first.year + year - 1 : year;
  return ValidateDate(ymd, era, year);
}

// The address rule of MatchFourInfo: prefix, not ending inside a number.
bool AddressMatches(std::string_view query, std::string_view candidate) {
  if (query.empty() || !candidate.starts_with(query)) return false;
  if (candidate.size() == query.size()) return true;
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  return !(is_digit(query.back()) && is_digit(candidate[query.size()]));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public functions

bool IsValidUtf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const Decoded d = DecodeAt(text, pos);
    if (d.fault != Utf8Fault::kNone) return false;
    pos += d.length;
  }
  return true;
}

char32_t FoldVariantKanji(char32_t cp) {
  // Everything below the first entry (ASCII, kana, most punctuation) skips the search.
  if (cp < kKanjiFolds[0].from) return cp;
  const KanjiFold* fold = FindKanjiFold(cp);
  return fold != nullptr ? fold->to : cp;
}

Result<std::string> NormalizeName(std::string_view name) {
  return NormalizeText(name, Script::kName, "name");
}

Result<std::string> NormalizeKana(std::string_view kana) {
  return NormalizeText(kana, Script::kKana, "name kana");
}

Result<std::string> NormalizeAddress(std::string_view address) {
  RENKEI_TRY(const std::string common, NormalizeText(address, Script::kAddress, "address"));
  return ApplyAddressRules(common);
}

Result<std::string> NormalizeBirthDate(std::string_view date) {
  RENKEI_TRY(const std::string common, NormalizeText(date, Script::kName, "birth date"));
  if (common.empty()) return DateError(Errc::kParseError, "empty");
  return ParseBirthDate(common);
}

Result<NormalizedFourInfo> NormalizeFourInfo(const FourInfo& info) {
  NormalizedFourInfo out;
  RENKEI_TRY(out.name, NormalizeName(info.name));
  RENKEI_TRY(out.name_kana, NormalizeKana(info.name_kana));
  out.sex = info.sex;
  RENKEI_TRY(const std::string date, NormalizeText(info.birth_date, Script::kName, "birth date"));
  if (!date.empty()) {
    RENKEI_TRY(out.birth_date, ParseBirthDate(date));
  }
  RENKEI_TRY(out.address, NormalizeAddress(info.address));
  return out;
}

int MatchResult::score() const {
  return static_cast<int>(name) + static_cast<int>(kana) + static_cast<int>(sex) +
         static_cast<int>(birth_date) + static_cast<int>(address);
}

MatchResult MatchFourInfo(const NormalizedFourInfo& query, const NormalizedFourInfo& candidate) {
  MatchResult result;
  result.name = !query.name.empty() && query.name == candidate.name;
  result.kana = !query.name_kana.empty() && query.name_kana == candidate.name_kana;
  result.sex = query.sex != Sex::kNotKnown && query.sex == candidate.sex;
  result.birth_date = !query.birth_date.empty() && query.birth_date == candidate.birth_date;
  result.address = AddressMatches(query.address, candidate.address);
  return result;
}

// ---------------------------------------------------------------------------------------------
// person.h

std::string_view SexLabel(Sex sex) {
  switch (sex) {
    case Sex::kNotKnown:
      return "不明";
    case Sex::kMale:
      return "男";
    case Sex::kFemale:
      return "女";
    case Sex::kNotApplicable:
      return "適用不能";
  }
  std::cerr << "renkei: SexLabel given a value outside Sex: "
            << static_cast<int>(static_cast<std::uint8_t>(sex)) << "\n";
  std::abort();
}

Result<Sex> ParseSex(std::string_view text) {
  RENKEI_TRY(const std::string s, NormalizeText(text, Script::kName, "sex"));
  if (s.empty()) return MakeError(Errc::kParseError, "sex: empty");
  struct Spelling {
    std::string_view text;  // as after the common rules (upper-case ASCII)
    Sex sex;
  };
  static constexpr std::array<Spelling, 14> kSpellings = {{
      {"0", Sex::kNotKnown},
      {"1", Sex::kMale},
      {"2", Sex::kFemale},
      {"9", Sex::kNotApplicable},
      {"男", Sex::kMale},
      {"男性", Sex::kMale},
      {"M", Sex::kMale},
      {"MALE", Sex::kMale},
      {"女", Sex::kFemale},
      {"女性", Sex::kFemale},
      {"F", Sex::kFemale},
      {"FEMALE", Sex::kFemale},
      {"不明", Sex::kNotKnown},
      {"適用不能", Sex::kNotApplicable},
  }};
  for (const Spelling& spelling : kSpellings) {
    if (s == spelling.text) return spelling.sex;
  }
  return MakeError(Errc::kParseError,
                   "sex: unrecognised value (expected 0, 1, 2, 9, 男, 女, 男性, 女性, M, F, "
                   "male or female)");
}

}  // namespace renkei::addressing
