#include "addressing/resident_generator.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <span>
#include <utility>

#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/time.h"

namespace renkei::addressing {
namespace {

using netsim::Errc;

// ---- Names ----

struct Surname {
  std::string_view kanji;
  std::string_view kana;
  uint32_t weight;  // approximate bearers in thousands; only the proportions matter
};

// The most common surnames with rough national counts, so that 佐藤 and 鈴木 turn up about ten
// times as often as 西田. Readings are the usual ones (中島 ナカジマ, 河野 コウノ, ...).
constexpr Surname kSurnames[] = {
    {"佐藤", "サトウ", 1870},   {"鈴木", "スズキ", 1790},   {"高橋", "タカハシ", 1410},
    {"田中", "タナカ", 1340},   {"伊藤", "イトウ", 1080},   {"渡辺", "ワタナベ", 1070},
    {"山本", "ヤマモト", 1070}, {"中村", "ナカムラ", 1050}, {"小林", "コバヤシ", 1020},
    {"加藤", "カトウ", 890},    {"吉田", "ヨシダ", 840},    {"山田", "ヤマダ", 820},
    {"佐々木", "ササキ", 680},  {"山口", "ヤマグチ", 640},  {"松本", "マツモト", 630},
    {"井上", "イノウエ", 610},  {"木村", "キムラ", 580},    {"林", "ハヤシ", 530},
    {"斎藤", "サイトウ", 530},  {"清水", "シミズ", 520},    {"山崎", "ヤマザキ", 480},
    {"森", "モリ", 470},        {"池田", "イケダ", 440},    {"橋本", "ハシモト", 440},
    {"阿部", "アベ", 430},      {"石川", "イシカワ", 410},  {"山下", "ヤマシタ", 410},
    {"中島", "ナカジマ", 400},  {"石井", "イシイ", 390},    {"小川", "オガワ", 380},
    {"前田", "マエダ", 380},    {"岡田", "オカダ", 370},    {"長谷川", "ハセガワ", 370},
    {"藤田", "フジタ", 360},    {"後藤", "ゴトウ", 360},    {"近藤", "コンドウ", 350},
    {"村上", "ムラカミ", 340},  {"遠藤", "エンドウ", 330},  {"青木", "アオキ", 320},
    {"坂本", "サカモト", 320},  {"斉藤", "サイトウ", 310},  {"福田", "フクダ", 310},
    {"太田", "オオタ", 300},    {"西村", "ニシムラ", 300},  {"藤井", "フジイ", 290},
    {"金子", "カネコ", 290},    {"岡本", "オカモト", 290},  {"藤原", "フジワラ", 290},
    {"中野", "ナカノ", 280},    {"三浦", "ミウラ", 280},    {"原田", "ハラダ", 280},
    {"中川", "ナカガワ", 270},  {"松田", "マツダ", 270},    {"竹内", "タケウチ", 270},
    {"小野", "オノ", 270},      {"田村", "タムラ", 260},    {"中山", "ナカヤマ", 260},
    {"和田", "ワダ", 260},      {"石田", "イシダ", 250},    {"森田", "モリタ", 250},
    {"上田", "ウエダ", 250},    {"原", "ハラ", 250},        {"内田", "ウチダ", 240},
    {"柴田", "シバタ", 240},    {"酒井", "サカイ", 240},    {"宮崎", "ミヤザキ", 240},
    {"横山", "ヨコヤマ", 230},  {"高木", "タカギ", 230},    {"安藤", "アンドウ", 230},
    {"宮本", "ミヤモト", 230},  {"大野", "オオノ", 230},    {"小島", "コジマ", 220},
    {"谷口", "タニグチ", 220},  {"工藤", "クドウ", 220},    {"高田", "タカダ", 220},
    {"増田", "マスダ", 210},    {"丸山", "マルヤマ", 210},  {"今井", "イマイ", 210},
    {"高野", "タカノ", 210},    {"村田", "ムラタ", 210},    {"山内", "ヤマウチ", 200},
    {"藤本", "フジモト", 200},  {"武田", "タケダ", 200},    {"上野", "ウエノ", 200},
    {"杉山", "スギヤマ", 200},  {"千葉", "チバ", 200},      {"大塚", "オオツカ", 200},
    {"松井", "マツイ", 190},    {"平野", "ヒラノ", 190},    {"小山", "コヤマ", 190},
    {"菅原", "スガワラ", 190},  {"野口", "ノグチ", 190},    {"河野", "コウノ", 190},
    {"久保", "クボ", 180},      {"松尾", "マツオ", 180},    {"木下", "キノシタ", 180},
    {"野村", "ノムラ", 180},    {"新井", "アライ", 180},    {"佐野", "サノ", 170},
    {"渡部", "ワタナベ", 170},  {"菊地", "キクチ", 170},    {"杉本", "スギモト", 170},
    {"市川", "イチカワ", 170},  {"古川", "フルカワ", 170},  {"水野", "ミズノ", 170},
    {"小松", "コマツ", 160},    {"島田", "シマダ", 160},    {"桜井", "サクライ", 160},
    {"山中", "ヤマナカ", 160},  {"西田", "ニシダ", 160},
};

// Given names carry the generations they were common in, so a 90-year-old is not called 陽翔.
enum Generation : uint8_t {
  kBornBefore1960 = 1,
  kBorn1960To1989 = 2,
  kBorn1990OrLater = 4,
};

struct GivenName {
  std::string_view kanji;
  std::string_view kana;
  uint8_t generations;
};

constexpr uint8_t kOld = kBornBefore1960;
constexpr uint8_t kMid = kBorn1960To1989;
constexpr uint8_t kNew = kBorn1990OrLater;

constexpr GivenName kMaleNames[] = {
    {"清", "キヨシ", kOld},
    {"茂", "シゲル", kOld},
    {"博", "ヒロシ", kOld | kMid},
    {"実", "ミノル", kOld},
    {"勇", "イサム", kOld},
    {"進", "ススム", kOld},
    {"修", "オサム", kOld | kMid},
    {"稔", "ミノル", kOld},
    {"明", "アキラ", kOld | kMid},
    {"隆", "タカシ", kOld | kMid},
    {"正", "タダシ", kOld},
    {"弘", "ヒロシ", kOld},
    {"豊", "ユタカ", kOld | kMid},
    {"昭", "アキラ", kOld},
    {"武", "タケシ", kOld},
    {"勝", "マサル", kOld},
    {"和夫", "カズオ", kOld},
    {"正雄", "マサオ", kOld},
    {"義男", "ヨシオ", kOld},
    {"三郎", "サブロウ", kOld},
    {"次郎", "ジロウ", kOld},
    {"幸男", "ユキオ", kOld},
    {"信夫", "ノブオ", kOld},
    {"敏夫", "トシオ", kOld},
    {"秀夫", "ヒデオ", kOld},
    {"久雄", "ヒサオ", kOld},
    {"邦夫", "クニオ", kOld},
    {"文雄", "フミオ", kOld},
    {"一郎", "イチロウ", kOld | kMid},
    {"太郎", "タロウ", kOld | kMid | kNew},
    {"浩", "ヒロシ", kOld | kMid},
    {"健一", "ケンイチ", kOld | kMid},
    {"誠", "マコト", kMid},
    {"大輔", "ダイスケ", kMid},
    {"拓也", "タクヤ", kMid},
    {"直樹", "ナオキ", kMid},
    {"哲也", "テツヤ", kMid},
    {"剛", "ツヨシ", kMid},
    {"聡", "サトシ", kMid},
    {"学", "マナブ", kMid},
    {"浩二", "コウジ", kMid},
    {"隆之", "タカユキ", kMid},
    {"達也", "タツヤ", kMid},
    {"和也", "カズヤ", kMid},
    {"健二", "ケンジ", kMid},
    {"裕介", "ユウスケ", kMid | kNew},
    {"秀樹", "ヒデキ", kMid},
    {"英樹", "ヒデキ", kMid},
    {"健太", "ケンタ", kMid | kNew},
    {"翔太", "ショウタ", kMid | kNew},
    {"亮", "リョウ", kMid | kNew},
    {"洋平", "ヨウヘイ", kMid},
    {"雄一", "ユウイチ", kMid},
    {"康弘", "ヤスヒロ", kMid},
    {"智也", "トモヤ", kMid},
    {"雅人", "マサト", kMid},
    {"俊介", "シュンスケ", kMid},
    {"慎也", "シンヤ", kMid},
    {"一樹", "カズキ", kMid | kNew},
    {"光", "ヒカル", kMid},
    {"航", "ワタル", kMid | kNew},
    {"圭", "ケイ", kMid},
    {"悟", "サトル", kMid},
    {"賢治", "ケンジ", kMid},
    {"正樹", "マサキ", kMid},
    {"克也", "カツヤ", kMid},
    {"昌平", "ショウヘイ", kMid},
    {"直人", "ナオト", kMid},
    {"啓介", "ケイスケ", kMid},
    {"勝也", "カツヤ", kMid},
    {"恵一", "ケイイチ", kMid},
    {"浩之", "ヒロユキ", kMid},
    {"政弘", "マサヒロ", kMid},
    {"貴之", "タカユキ", kMid},
    {"健太郎", "ケンタロウ", kMid},
    {"祐介", "ユウスケ", kMid},
    {"大樹", "ダイキ", kNew},
    {"翔", "ショウ", kNew},
    {"蓮", "レン", kNew},
    {"陽翔", "ハルト", kNew},
    {"湊", "ミナト", kNew},
    {"蒼", "ソウ", kNew},
    {"樹", "イツキ", kNew},
    {"悠真", "ユウマ", kNew},
    {"大翔", "ヒロト", kNew},
    {"陽太", "ヨウタ", kNew},
    {"悠人", "ユウト", kNew},
    {"颯太", "ソウタ", kNew},
    {"朝陽", "アサヒ", kNew},
    {"律", "リツ", kNew},
    {"新", "アラタ", kNew},
    {"碧", "アオイ", kNew},
    {"陸", "リク", kNew},
    {"海斗", "カイト", kNew},
    {"颯", "ハヤテ", kNew},
    {"奏太", "ソウタ", kNew},
    {"結翔", "ユイト", kNew},
    {"瑛太", "エイタ", kNew},
    {"大和", "ヤマト", kNew},
    {"優斗", "ユウト", kNew},
    {"拓海", "タクミ", kNew},
    {"翼", "ツバサ", kNew},
    {"駿", "シュン", kNew},
    {"涼太", "リョウタ", kNew},
    {"一輝", "カズキ", kNew},
    {"隼人", "ハヤト", kNew},
    {"龍之介", "リュウノスケ", kNew},
    {"晴人", "ハルト", kNew},
    {"蒼空", "ソラ", kNew},
    {"悠", "ユウ", kNew},
    {"陽向", "ヒナタ", kNew},
    {"良太", "リョウタ", kNew},
};

constexpr GivenName kFemaleNames[] = {
    {"幸子", "サチコ", kOld},
    {"節子", "セツコ", kOld},
    {"和子", "カズコ", kOld},
    {"洋子", "ヨウコ", kOld | kMid},
    {"恵子", "ケイコ", kOld | kMid},
    {"京子", "キョウコ", kOld},
    {"美智子", "ミチコ", kOld},
    {"久子", "ヒサコ", kOld},
    {"文子", "フミコ", kOld},
    {"悦子", "エツコ", kOld},
    {"弘子", "ヒロコ", kOld},
    {"順子", "ジュンコ", kOld | kMid},
    {"照子", "テルコ", kOld},
    {"千代子", "チヨコ", kOld},
    {"静子", "シズコ", kOld},
    {"清子", "キヨコ", kOld},
    {"光子", "ミツコ", kOld},
    {"良子", "ヨシコ", kOld},
    {"信子", "ノブコ", kOld},
    {"正子", "マサコ", kOld},
    {"美代子", "ミヨコ", kOld},
    {"花子", "ハナコ", kOld},
    {"恭子", "キョウコ", kOld | kMid},
    {"康子", "ヤスコ", kOld},
    {"玲子", "レイコ", kOld | kMid},
    {"敏子", "トシコ", kOld},
    {"芳子", "ヨシコ", kOld},
    {"孝子", "タカコ", kOld},
    {"美佐子", "ミサコ", kOld},
    {"富子", "トミコ", kOld},
    {"千恵子", "チエコ", kOld},
    {"君子", "キミコ", kOld},
    {"明子", "アキコ", kOld | kMid},
    {"裕子", "ユウコ", kMid},
    {"明美", "アケミ", kMid},
    {"由美子", "ユミコ", kMid},
    {"真由美", "マユミ", kMid},
    {"智子", "トモコ", kMid},
    {"直美", "ナオミ", kMid},
    {"久美子", "クミコ", kMid},
    {"陽子", "ヨウコ", kMid},
    {"典子", "ノリコ", kMid},
    {"恵美子", "エミコ", kMid},
    {"由美", "ユミ", kMid},
    {"純子", "ジュンコ", kMid},
    {"美香", "ミカ", kMid},
    {"香織", "カオリ", kMid},
    {"綾", "アヤ", kMid | kNew},
    {"愛", "アイ", kMid | kNew},
    {"恵", "メグミ", kMid},
    {"麻衣", "マイ", kMid},
    {"彩", "アヤ", kMid | kNew},
    {"舞", "マイ", kMid},
    {"沙織", "サオリ", kMid},
    {"由香", "ユカ", kMid},
    {"理恵", "リエ", kMid},
    {"美穂", "ミホ", kMid},
    {"優子", "ユウコ", kMid},
    {"千尋", "チヒロ", kMid | kNew},
    {"亜希子", "アキコ", kMid},
    {"明日香", "アスカ", kMid},
    {"直子", "ナオコ", kMid},
    {"真理子", "マリコ", kMid},
    {"加奈子", "カナコ", kMid},
    {"和美", "カズミ", kMid},
    {"里美", "サトミ", kMid},
    {"美紀", "ミキ", kMid},
    {"由紀", "ユキ", kMid},
    {"早苗", "サナエ", kMid},
    {"友美", "トモミ", kMid},
    {"瞳", "ヒトミ", kMid},
    {"夏美", "ナツミ", kMid},
    {"春香", "ハルカ", kMid | kNew},
    {"奈々", "ナナ", kMid | kNew},
    {"陽菜", "ヒナ", kNew},
    {"結衣", "ユイ", kNew},
    {"葵", "アオイ", kNew},
    {"美咲", "ミサキ", kNew},
    {"さくら", "サクラ", kNew},
    {"凛", "リン", kNew},
    {"結菜", "ユイナ", kNew},
    {"芽依", "メイ", kNew},
    {"紬", "ツムギ", kNew},
    {"陽葵", "ヒマリ", kNew},
    {"澪", "ミオ", kNew},
    {"莉子", "リコ", kNew},
    {"杏", "アン", kNew},
    {"心春", "コハル", kNew},
    {"楓", "カエデ", kNew},
    {"結愛", "ユア", kNew},
    {"咲良", "サクラ", kNew},
    {"美結", "ミユ", kNew},
    {"七海", "ナナミ", kNew},
    {"彩花", "アヤカ", kNew},
    {"愛莉", "アイリ", kNew},
    {"優奈", "ユウナ", kNew},
    {"花音", "カノン", kNew},
    {"萌", "モエ", kNew},
    {"遥", "ハルカ", kNew},
    {"菜々子", "ナナコ", kNew},
    {"琴音", "コトネ", kNew},
    {"真央", "マオ", kNew},
    {"千夏", "チナツ", kNew},
    {"彩乃", "アヤノ", kNew},
    {"詩", "ウタ", kNew},
    {"日葵", "ヒマリ", kNew},
    {"一華", "イチカ", kNew},
    {"柚希", "ユズキ", kNew},
    {"美月", "ミツキ", kNew},
};

int GenerationIndex(int birth_year) {
  if (birth_year < 1960) return 0;
  if (birth_year < 1990) return 1;
  return 2;
}

// ---- Ages ----

// Population by 5-year band from the 2020 census (thousands): 0-4, 5-9, ..., 95-99, then 100
// alone (the open 100+ band truncated, as the generator's ages stop at 100). The shape, not the
// totals, is what matters: the second baby-boom bulge at 45-54, the first at 70-74, and few
// children.
constexpr uint32_t kAgeBandWeights[] = {4541, 5114, 5376, 5706, 6320, 6384, 6714,
                                        7498, 8476, 9868, 8738, 7940, 7442, 8236,
                                        9189, 7065, 5404, 3742, 1811, 570,  80};
constexpr int kAgeBands = static_cast<int>(std::size(kAgeBandWeights));
constexpr uint64_t kAgeTotal = [] {
  uint64_t total = 0;
  for (const uint32_t w : kAgeBandWeights) total += w;
  return total;
}();

// Men per woman ≈ 0.95: P(man) = 95 / 195.
constexpr uint64_t kMalePerMille = 95;
constexpr uint64_t kSexDenominator = 195;

// ---- Addresses ----

struct Town {
  std::string_view name;
  int chome;  // highest 丁目; 0 for a town addressed by 番地
};

struct Municipality {
  std::string_view lgcode;
  int prefecture;
  std::string_view name;
  std::span<const Town> towns;
};

constexpr Town kSapporo[] = {
    {"中央区北一条西", 20},   {"中央区南三条西", 15},    {"中央区大通西", 20},
    {"中央区宮の森一条", 10}, {"北区北七条西", 10},      {"北区新琴似七条", 10},
    {"東区北十条東", 10},     {"白石区本郷通", 10},      {"豊平区平岸二条", 10},
    {"豊平区月寒東一条", 10}, {"南区真駒内幸町", 3},     {"西区琴似一条", 7},
    {"西区宮の沢一条", 5},    {"厚別区厚別中央一条", 7}, {"手稲区前田一条", 10},
    {"清田区清田一条", 4},
};

constexpr Town kSendai[] = {
    {"青葉区一番町", 4}, {"青葉区国分町", 3}, {"青葉区中央", 4},   {"青葉区本町", 3},
    {"青葉区上杉", 6},   {"青葉区片平", 2},   {"宮城野区榴岡", 5}, {"宮城野区五輪", 2},
    {"若林区荒町", 0},   {"若林区連坊", 2},   {"太白区長町", 8},   {"泉区泉中央", 4},
};

constexpr Town kChiyoda[] = {
    {"丸の内", 3},     {"大手町", 2},     {"有楽町", 2}, {"霞が関", 3}, {"永田町", 2},
    {"麹町", 6},       {"一番町", 0},     {"三番町", 0}, {"九段北", 4}, {"九段南", 4},
    {"神田神保町", 3}, {"神田駿河台", 4}, {"外神田", 6}, {"岩本町", 3}, {"平河町", 2},
    {"紀尾井町", 0},   {"飯田橋", 4},     {"内神田", 3},
};

constexpr Town kShinjuku[] = {
    {"西新宿", 8},       {"新宿", 7},       {"歌舞伎町", 2}, {"高田馬場", 4},
    {"大久保", 3},       {"百人町", 4},     {"四谷", 4},     {"神楽坂", 6},
    {"早稲田鶴巻町", 0}, {"市谷加賀町", 2}, {"戸山", 3},     {"北新宿", 4},
    {"信濃町", 0},       {"下落合", 4},     {"中落合", 4},   {"西早稲田", 3},
};

constexpr Town kYokohama[] = {
    {"中区山下町", 0},     {"中区本町", 6},       {"中区元町", 5},       {"西区みなとみらい", 6},
    {"西区高島", 2},       {"神奈川区鶴屋町", 3}, {"港北区日吉", 7},     {"港北区新横浜", 3},
    {"青葉区青葉台", 2},   {"青葉区美しが丘", 5}, {"磯子区磯子", 8},     {"鶴見区鶴見中央", 5},
    {"都筑区中川中央", 2}, {"南区浦舟町", 3},     {"金沢区釜利谷東", 8}, {"戸塚区戸塚町", 0},
};

constexpr Town kNagaoka[] = {
    {"大手通", 2},     {"城内町", 3}, {"殿町", 3},   {"表町", 4}, {"坂之上町", 3},
    {"東坂之上町", 3}, {"台町", 2},   {"千秋", 3},   {"川崎", 4}, {"宮内", 8},
    {"関原町", 3},     {"東神田", 3}, {"今朝白", 3}, {"新町", 3}, {"与板町与板", 0},
};

constexpr Town kNagoya[] = {
    {"中区栄", 5},       {"中区錦", 3},       {"中区大須", 4},     {"中区丸の内", 3},
    {"中村区名駅", 5},   {"中村区椿町", 0},   {"東区泉", 3},       {"千種区今池", 5},
    {"昭和区御器所", 4}, {"熱田区神宮", 4},   {"瑞穂区瑞穂通", 8}, {"北区大曽根", 4},
    {"天白区植田", 3},   {"名東区藤が丘", 0},
};

constexpr Town kOsaka[] = {
    {"北区梅田", 3},       {"北区曽根崎", 2},       {"北区天神橋", 8}, {"中央区難波", 5},
    {"中央区大手前", 4},   {"中央区本町", 4},       {"西区新町", 4},   {"天王寺区上本町", 9},
    {"浪速区日本橋", 5},   {"阿倍野区阿倍野筋", 6}, {"住吉区長居", 4}, {"淀川区西中島", 7},
    {"都島区東野田町", 5}, {"福島区福島", 8},       {"城東区蒲生", 4},
};

constexpr Town kFukuoka[] = {
    {"博多区博多駅前", 4}, {"博多区博多駅東", 3}, {"中央区天神", 5},   {"中央区大名", 2},
    {"中央区赤坂", 3},     {"中央区薬院", 4},     {"中央区六本松", 4}, {"東区香椎", 6},
    {"東区箱崎", 7},       {"南区大橋", 4},       {"早良区西新", 7},   {"城南区七隈", 8},
    {"西区姪浜駅南", 4},
};

constexpr Town kNaha[] = {
    {"久茂地", 3},     {"松山", 2},       {"泉崎", 2},       {"牧志", 3}, {"壺屋", 2},
    {"首里当蔵町", 3}, {"首里金城町", 4}, {"おもろまち", 4}, {"前島", 3}, {"若狭", 3},
    {"古島", 2},       {"樋川", 2},       {"与儀", 2},
};

// In 地方公共団体コード order. Ordinance-designated cities (札幌, 仙台, 横浜, 名古屋, 大阪, 福岡)
// carry the ward in the town name, as their residents' addresses do.
// Town names found in many municipalities across Japan, for bodies without their own table.
constexpr Town kGenericTowns[] = {
    {"本町", 4}, {"中央", 5},   {"栄町", 3},   {"旭町", 3}, {"緑町", 2},   {"幸町", 2},
    {"寿町", 3}, {"昭和町", 2}, {"若葉町", 2}, {"駅前", 3}, {"東町", 0},   {"西町", 0},
    {"南町", 0}, {"北町", 0},   {"新町", 0},   {"大町", 2}, {"桜木町", 2}, {"日吉町", 0},
    {"宮前", 0}, {"城山", 0},   {"松原", 0},   {"上町", 0}, {"下町", 0},   {"元町", 3},
};

constexpr Municipality kMunicipalities[] = {
    {"011002", 1, "札幌市", kSapporo},    {"041009", 4, "仙台市", kSendai},
    {"131016", 13, "千代田区", kChiyoda}, {"131041", 13, "新宿区", kShinjuku},
    {"141003", 14, "横浜市", kYokohama},  {"152021", 15, "長岡市", kNagaoka},
    {"231002", 23, "名古屋市", kNagoya},  {"271004", 27, "大阪市", kOsaka},
    {"401307", 40, "福岡市", kFukuoka},   {"472018", 47, "那覇市", kNaha},
};

constexpr std::string_view kPrefectures[] = {
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県",   "福島県", "茨城県",
    "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県",
    "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県",   "愛知県", "三重県",
    "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県",
    "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県",   "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
};

constexpr std::string_view kBuildingNames[] = {
    "若葉", "桜", "緑", "旭", "朝日", "富士見", "青葉", "栄", "平和", "中央", "サン", "グリーン",
};
constexpr std::string_view kBuildingKinds[] = {
    "ハイツ", "コーポ", "マンション", "レジデンス", "パレス", "コート", "荘",
};

constexpr std::string_view kKanjiDigits[] = {"",   "一", "二", "三", "四",
                                             "五", "六", "七", "八", "九"};

// 1..99 in kanji numerals as 丁目 are written: 十, 十一, 二十, 二十八.
void AppendKanjiNumber(std::string& out, int n) {
  const int tens = n / 10;
  const int ones = n % 10;
  if (tens > 1) out.append(kKanjiDigits[tens]);
  if (tens > 0) out.append("十");
  out.append(kKanjiDigits[ones]);
}

void AppendInt(std::string& out, uint64_t n) {
  char buf[20];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(p, static_cast<size_t>(buf + sizeof buf - p));
}

void AppendPadded(std::string& out, uint64_t n, int width) {
  std::string digits;
  AppendInt(digits, n);
  if (static_cast<int>(digits.size()) < width) {
    out.append(static_cast<size_t>(width) - digits.size(), '0');
  }
  out.append(digits);
}

netsim::CivilTime CivilFromDays(int64_t days) {
  return netsim::ToCivil(netsim::SimTime::FromMicros(days * 86'400'000'000LL));
}

// The same calendar day `years` earlier; 29 February falls back to the 28th.
int64_t DaysYearsBefore(const Date& d, int years) {
  const int year = d.year - years;
  int day = d.day;
  if (d.month == 2 && day == 29 && !netsim::IsValidDate(year, 2, 29)) day = 28;
  return netsim::DaysFromCivil(year, d.month, day);
}

[[noreturn]] void Die(std::string_view what) {
  std::cerr << "renkei: broken invariant: " << what << "\n";
  std::abort();
}

std::string SupportedList() {
  std::string list;
  for (const Municipality& m : kMunicipalities) {
    if (!list.empty()) list += ", ";
    list.append(m.lgcode).append(" ").append(m.name);
  }
  return list;
}

bool NeedsQuotes(std::string_view field) {
  return field.find_first_of(",\"\r\n") != std::string_view::npos;
}

void AppendCsvField(std::string& out, std::string_view field) {
  if (!NeedsQuotes(field)) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (const char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

// ---- Dates ----

Result<Date> ParseDate(std::string_view text) {
  const auto bad = [&](std::string_view why) -> Error {
    return MakeError(Errc::kInvalidArgument,
                     "date '" + std::string(text) + "' " + std::string(why));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return bad("must have the form YYYY-MM-DD");
  }
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8};
  const size_t lengths[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (size_t i = starts[p]; i < starts[p] + lengths[p]; ++i) {
      if (text[i] < '0' || text[i] > '9') return bad("must have the form YYYY-MM-DD");
      parts[p] = parts[p] * 10 + (text[i] - '0');
    }
  }
  if (!netsim::IsValidDate(parts[0], parts[1], parts[2])) return bad("is not a calendar day");
  if (parts[0] < 1900 || parts[0] > 2199) return bad("is outside 1900-2199");
  return Date{parts[0], parts[1], parts[2]};
}

std::string FormatDate(const Date& date) {
  std::string s;
  s.reserve(10);
  AppendPadded(s, static_cast<uint64_t>(date.year), 4);
  s.push_back('-');
  AppendPadded(s, static_cast<uint64_t>(date.month), 2);
  s.push_back('-');
  AppendPadded(s, static_cast<uint64_t>(date.day), 2);
  return s;
}

// ---- Tables ----

std::vector<MunicipalityInfo> SupportedMunicipalities() {
  std::vector<MunicipalityInfo> out;
  for (const Municipality& m : kMunicipalities) {
    out.push_back({m.lgcode, PrefectureName(m.prefecture), m.name});
  }
  return out;
}

std::string_view PrefectureName(int prefecture) {
  if (prefecture < 1 || prefecture > 47) return {};
  return kPrefectures[prefecture - 1];
}

// ---- The generator ----

// Multiply-xorshift rounds on [0, 2^bits): each step is a bijection (xor with a key, product with
// an odd number mod 2^bits, x ^= x >> s), so the composition is one too; cycle-walking then
// restricts it to [0, domain) and keeps it bijective. Quality only needs to hide the counter.
uint64_t ResidentGenerator::Permutation::Apply(uint64_t x) const {
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  const int shift = (bits + 1) / 2;
  do {
    for (int r = 0; r < 4; ++r) {
      x = (x ^ keys[r]) & mask;
      x = (x * multipliers[r]) & mask;
      x ^= x >> shift;
    }
  } while (x >= domain);
  return x;
}

Result<ResidentGenerator> ResidentGenerator::Create(uint64_t seed, std::string_view lgcode,
                                                    const ResidentGeneratorOptions& options) {
  RENKEI_CHECK_OK(netsim::ValidateLgCode(lgcode));
  const Date& ref = options.reference_date;
  if (!netsim::IsValidDate(ref.year, ref.month, ref.day) || ref.year < 1900 || ref.year > 2199) {
    return MakeError(Errc::kInvalidArgument,
                     "reference date " + FormatDate(ref) + " is not a calendar day in 1900-2199");
  }
  for (size_t i = 0; i < std::size(kMunicipalities); ++i) {
    if (kMunicipalities[i].lgcode == lgcode) {
      return ResidentGenerator(seed, i, kMunicipalities[i].lgcode, kMunicipalities[i].name,
                               options);
    }
  }
  const int prefecture = netsim::LgCodePrefecture(lgcode);
  return MakeError(Errc::kNotFound, "地方公共団体コード " + std::string(lgcode) + " (" +
                                        std::string(PrefectureName(prefecture)) +
                                        ") has no address table; supported: " + SupportedList());
}

Result<ResidentGenerator> ResidentGenerator::CreateGeneric(
    uint64_t seed, std::string_view lgcode, std::string_view name,
    const ResidentGeneratorOptions& options) {
  auto tabled = Create(seed, lgcode, options);
  if (tabled.ok() || tabled.error().code != make_error_code(Errc::kNotFound)) return tabled;
  if (name.empty()) {
    return MakeError(Errc::kInvalidArgument,
                     "地方公共団体コード " + std::string(lgcode) + ": the body's name is empty");
  }
  return ResidentGenerator(seed, kGeneric, lgcode, name, options);
}

ResidentGenerator::ResidentGenerator(uint64_t seed, size_t table_index, std::string_view lgcode,
                                     std::string_view name, const ResidentGeneratorOptions& options)
    : table_index_(table_index),
      options_(options),
      rng_(seed, netsim::Rng::StreamId("addressing/residents/" + std::string(lgcode))) {
  const int prefecture = netsim::LgCodePrefecture(lgcode);
  if (table_index == kGeneric) {
    generic_ = std::make_shared<const std::pair<std::string, std::string>>(std::string(lgcode),
                                                                           std::string(name));
    info_ = {generic_->first, PrefectureName(prefecture), generic_->second};
  } else {
    info_ = {kMunicipalities[table_index].lgcode, PrefectureName(prefecture), name};
  }
  const auto municipal_digits =
      static_cast<uint64_t>((lgcode[2] - '0') * 100 + (lgcode[3] - '0') * 10 + (lgcode[4] - '0'));
  slot_ = static_cast<uint64_t>(prefecture - 1) * 1000 + municipal_digits;

  // The permutation keys depend on the seed alone, so bodies generated with one seed share them
  // and their disjoint index sets give disjoint 個人番号.
  const auto init = [seed](Permutation& p, int bits, uint64_t domain, std::string_view stream) {
    netsim::Rng keys(seed, netsim::Rng::StreamId(stream));
    p.bits = bits;
    p.domain = domain;
    for (int r = 0; r < 4; ++r) {
      p.keys[r] = keys.Next();
      p.multipliers[r] = keys.Next() | 1;
    }
  };
  init(my_number_perm_, 37, netsim::kMyNumberBodies, "addressing/residents/my-number");
  init(juminhyo_perm_, 34, netsim::kJuminhyoCodeBodies, "addressing/residents/juminhyo-code");

  uint32_t total = 0;
  for (const Surname& s : kSurnames) surname_cumulative_.push_back(total += s.weight);
  const auto index_names = [](std::span<const GivenName> names, std::vector<uint16_t>* lists) {
    for (size_t i = 0; i < names.size(); ++i) {
      for (int g = 0; g < 3; ++g) {
        if (names[i].generations & (1 << g)) lists[g].push_back(static_cast<uint16_t>(i));
      }
    }
  };
  index_names(kMaleNames, given_names_[0]);
  index_names(kFemaleNames, given_names_[1]);
}

Date ResidentGenerator::DrawBirthDate(int age) {
  const int64_t latest = DaysYearsBefore(options_.reference_date, age);
  const int64_t earliest_excluded = DaysYearsBefore(options_.reference_date, age + 1);
  const auto span = static_cast<uint64_t>(latest - earliest_excluded);
  const netsim::CivilTime c = CivilFromDays(latest - static_cast<int64_t>(rng_.Uniform(span)));
  return Date{c.year, c.month, c.day};
}

void ResidentGenerator::AppendAddress(std::string& out) {
  const std::span<const Town> towns = table_index_ == kGeneric
                                          ? std::span<const Town>(kGenericTowns)
                                          : kMunicipalities[table_index_].towns;
  const Town& town = towns[rng_.Uniform(towns.size())];
  out.append(info_.prefecture).append(info_.name).append(town.name);
  if (town.chome > 0) {
    AppendKanjiNumber(out, 1 + static_cast<int>(rng_.Uniform(static_cast<uint64_t>(town.chome))));
    out.append("丁目");
    AppendInt(out, 1 + rng_.Uniform(30));
    out.append("番");
    AppendInt(out, 1 + rng_.Uniform(25));
    out.append("号");
  } else {
    AppendInt(out, 1 + rng_.Uniform(999));
    out.append("番地");
    if (rng_.Bernoulli(0.5)) AppendInt(out, 1 + rng_.Uniform(20));
  }
  if (rng_.Bernoulli(0.25)) {
    out.push_back(' ');
    out.append(kBuildingNames[rng_.Uniform(std::size(kBuildingNames))]);
    out.append(kBuildingKinds[rng_.Uniform(std::size(kBuildingKinds))]);
    AppendInt(out, 1 + rng_.Uniform(12));  // floor
    out.push_back('0');
    AppendInt(out, 1 + rng_.Uniform(9));  // room on the floor
    out.append("号室");
  }
}

Resident ResidentGenerator::Next() {
  if (next_index_ >= kMaxResidents) Die("ResidentGenerator: more than kMaxResidents requested");
  const uint64_t i = next_index_++;
  const uint64_t x = i * 47000 + slot_;

  Resident r;
  r.my_number = netsim::MakeMyNumber(my_number_perm_.Apply(x % netsim::kMyNumberBodies));
  r.juminhyo_code = netsim::MakeJuminhyoCode(juminhyo_perm_.Apply(x % netsim::kJuminhyoCodeBodies));
  r.atena_number.reserve(netsim::kIntegratedNumberLength);
  r.atena_number.append(info_.lgcode);
  AppendPadded(r.atena_number, i + 1, 9);

  // The order of draws is part of the output's definition: changing it changes every resident.
  uint64_t pick = rng_.Uniform(kAgeTotal);
  int band = 0;
  while (band < kAgeBands - 1 && pick >= kAgeBandWeights[band]) {
    pick -= kAgeBandWeights[band];
    ++band;
  }
  const int age = band * 5 + (band == kAgeBands - 1 ? 0 : static_cast<int>(rng_.Uniform(5)));
  r.birth_date = DrawBirthDate(age);
  r.sex = rng_.Uniform(kSexDenominator) < kMalePerMille ? Sex::kMale : Sex::kFemale;

  const auto surname_it =
      std::upper_bound(surname_cumulative_.begin(), surname_cumulative_.end(),
                       static_cast<uint32_t>(rng_.Uniform(surname_cumulative_.back())));
  const Surname& surname = kSurnames[surname_it - surname_cumulative_.begin()];
  const int sex_index = r.sex == Sex::kMale ? 0 : 1;
  const std::vector<uint16_t>& names = given_names_[sex_index][GenerationIndex(r.birth_date.year)];
  const uint16_t given_index = names[rng_.Uniform(names.size())];
  const GivenName& given = sex_index == 0 ? kMaleNames[given_index] : kFemaleNames[given_index];
  r.name.reserve(surname.kanji.size() + 1 + given.kanji.size());
  r.name.append(surname.kanji).append(" ").append(given.kanji);
  r.name_kana.reserve(surname.kana.size() + 1 + given.kana.size());
  r.name_kana.append(surname.kana).append(" ").append(given.kana);

  r.address.reserve(128);
  AppendAddress(r.address);
  return r;
}

// ---- CSV ----

void WriteResidentsCsvHeader(std::ostream& os) {
  os << "個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所\n";
}

void WriteResidentCsvRow(std::ostream& os, const Resident& r) {
  std::string line;
  line.reserve(64 + r.name.size() + r.name_kana.size() + r.address.size());
  AppendCsvField(line, r.my_number);
  line.push_back(',');
  AppendCsvField(line, r.juminhyo_code);
  line.push_back(',');
  AppendCsvField(line, r.atena_number);
  line.push_back(',');
  AppendCsvField(line, r.name);
  line.push_back(',');
  AppendCsvField(line, r.name_kana);
  line.push_back(',');
  line.append(SexLabel(r.sex));
  line.push_back(',');
  line.append(FormatDate(r.birth_date));
  line.push_back(',');
  AppendCsvField(line, r.address);
  line.push_back('\n');
  os.write(line.data(), static_cast<std::streamsize>(line.size()));
}

}  // namespace renkei::addressing
