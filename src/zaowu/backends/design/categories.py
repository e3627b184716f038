"""Business categories, occasions and moods: what a design is about, decided by code.

A small model copies the examples in its prompt (a croissant on a fashion logo, pastel for 春节),
so the choices a table can make are made here: ``detect_theme`` reads a request (Chinese or
English) with a bilingual keyword table and returns a ``Theme``, the business category (tea,
fashion, pets...), the occasion (春节, 中秋, Christmas, 双11...) and the mood (festive, calm,
premium, playful, natural, tech). A theme says which Lucide icons, palettes, font pairings and
full-colour illustrations fit; ``spec.resolve`` and the planner pick only from those.

Matching works on spans: every keyword occurrence is found, the longest ones win where they
overlap (酒店 is a hotel, not wine; 天猫 and 小红书 are platforms, not pets and books), and each
category scores the characters its surviving keywords cover. Platform names (小红书, Douyin,
Taobao, Instagram...) are matched too, so they never count as a business, and
``strip_platforms`` removes them from brands and headlines.

Pure data and the standard library: imported by ``spec`` at no cost.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

__all__ = [
    "ART_NAMES",
    "CATEGORIES",
    "GENERIC_ART",
    "GENERIC_ICONS",
    "MOODS",
    "PLATFORMS",
    "Category",
    "Mood",
    "Theme",
    "category_descriptions",
    "detect_theme",
    "find_platforms",
    "is_cover",
    "strip_platforms",
    "theme_of",
]


@dataclass(frozen=True)
class Category:
    """A business category or an occasion, and the visual choices that fit it (first = default)."""

    id: str
    zh: str
    en: str
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    icons: tuple[str, ...]  # Lucide icon names
    art: tuple[str, ...]  # illustration names (art/illustrations.json)
    palettes: tuple[str, ...]
    fonts: tuple[str, ...]
    mood: str
    occasion: bool = False
    description: str = ""  # a sentence for the embedding fallback
    art_leads: bool = True  # an occasion's art comes before the business's (中秋: mooncakes; 双11: the goods)

    @property
    def label(self) -> str:
        return f"{self.en} ({self.zh})"


@dataclass(frozen=True)
class Mood:
    id: str
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    palettes: tuple[str, ...]
    fonts: tuple[str, ...]


def _c(
    id: str,
    zh: str,
    en: str,
    kzh: str,
    ken: str,
    icons: str,
    art: str,
    palettes: str,
    fonts: str,
    mood: str,
    description: str,
    occasion: bool = False,
    art_leads: bool = True,
) -> Category:
    return Category(
        id,
        zh,
        en,
        tuple(kzh.split()),
        tuple(k.replace("_", " ") for k in ken.split()),
        tuple(icons.split()),
        tuple(art.split()),
        tuple(palettes.split()),
        tuple(fonts.split()),
        mood,
        occasion,
        description,
        art_leads,
    )


# Businesses. English keywords use "_" for a space; they match whole words, case-insensitive.
_BUSINESSES = (
    _c(
        "tea",
        "茶饮茶馆",
        "tea house",
        "陶瓷茶具 茶杯 茶壶 茶馆 茶舍 茶室 茶叶 茶具 茶饮 茶礼 茶庄 茶园 普洱 龙井 乌龙 红茶 绿茶 白茶 岩茶 抹茶 喝茶 品茶 茶",
        "tea teahouse tea_house tea_room teas matcha oolong pu-erh teaware tea_set",
        "leaf sprout cup-soda",
        "teacup-without-handle teapot herb leaf-fluttering-in-wind",
        "forest sage cream jade mint",
        "elegant modern friendly",
        "calm",
        "A tea house or tea shop selling loose-leaf tea, teaware and tea drinks.",
    ),
    _c(
        "drinks",
        "奶茶饮品",
        "bubble tea & drinks",
        "奶茶 果茶 饮品 果汁 柠檬茶 鲜榨 冰沙 奶昔 气泡水 饮料",
        "bubble_tea boba milk_tea juice juices smoothie smoothies lemonade drinks beverage beverages",
        "cup-soda citrus milk",
        "bubble-tea tropical-drink cup-with-straw beverage-box",
        "lemon coral candy mint",
        "friendly geometric display",
        "playful",
        "A drinks shop: bubble tea, fruit tea, juice and smoothies.",
    ),
    _c(
        "coffee",
        "咖啡",
        "coffee",
        "咖啡 咖啡馆 咖啡店 咖啡厅 拿铁 美式 手冲 意式 咖啡豆 烘焙豆 冷萃 冷泡 挂耳",
        "coffee cafe café coffeehouse coffee_shop espresso latte lattes cappuccino barista roastery roaster "
        "cold_brew flat_white mocha americano",
        "coffee milk",
        "hot-beverage cup-with-straw",
        "espresso cream midnight mono",
        "modern elegant geometric",
        "calm",
        "A café or coffee roaster serving espresso, latte and beans.",
    ),
    _c(
        "bakery",
        "烘焙甜品",
        "bakery & desserts",
        "面包 烘焙 蛋糕 甜品 甜点 西点 饼干 可颂 吐司 糕点 面包店 烘焙坊 点心 马卡龙 甜甜圈 冰淇淋 雪糕",
        "bakery bakeries bread pastry pastries patisserie dessert desserts cake cakes croissant croissants "
        "cookie cookies cupcake cupcakes donut donuts doughnut baguette ice_cream gelato",
        "croissant cake-slice cookie wheat ice-cream-cone",
        "croissant bread shortcake cupcake doughnut cookie baguette-bread soft-ice-cream",
        "cream sakura lemon coral",
        "friendly elegant",
        "playful",
        "A bakery or dessert shop: bread, croissants, cakes, cookies and pastries.",
    ),
    _c(
        "restaurant",
        "餐饮美食",
        "restaurant & food",
        "餐厅 饭店 餐馆 美食 小吃 火锅 烧烤 面馆 外卖 料理 菜馆 饺子 米饭 快餐 食堂 私房菜 拉面 寿司 汉堡 披萨 炸鸡 小龙虾 烤肉 串串 麻辣烫 早餐",
        "restaurant restaurants dining bistro diner noodles noodle hotpot hot_pot bbq barbecue food foods eatery "
        "ramen dumplings sushi pizza pizzeria burger burgers takeaway takeout brunch kitchen",
        "utensils chef-hat soup pizza sandwich",
        "steaming-bowl pot-of-food dumpling hamburger pizza spaghetti sushi fork-and-knife-with-plate",
        "sunset coral cream lemon festive",
        "display friendly modern",
        "playful",
        "A restaurant or food stall: noodles, hotpot, dumplings, burgers and takeaway meals.",
    ),
    _c(
        "fashion",
        "女装服饰",
        "women's fashion",
        "女装 连衣裙 裙子 穿搭 服装 服饰 时装 衣服 半身裙 上衣 针织衫 外套 大衣 风衣 衬衫 汉服 旗袍 女鞋 高跟鞋 包包 女包 买手店 衣橱",
        "fashion womenswear women's_wear womens_wear women's_fashion dress dresses boutique clothing apparel "
        "outfit outfits skirt skirts blouse blouses knitwear coat coats linen handbag handbags heels wardrobe",
        "shirt shopping-bag sparkles scissors",
        "dress womans-clothes high-heeled-shoe handbag womans-hat shopping-bags",
        "blush sakura mono lavender coral",
        "elegant modern display",
        "premium",
        "A women's clothing boutique selling dresses, skirts, tops, coats and handbags.",
    ),
    _c(
        "menswear",
        "男装",
        "menswear",
        "男装 西装 男士 绅士 领带 男鞋 西服 定制西装 商务装",
        "menswear men's_wear mens_wear men's_fashion menswear_store suit suits tailor tailoring tailored "
        "gentleman gentlemen necktie ties",
        "shirt briefcase scissors",
        "necktie t-shirt jeans mans-shoe billed-cap top-hat",
        "navy midnight mono ocean",
        "modern geometric display",
        "premium",
        "A menswear shop selling suits, shirts, ties and shoes for men.",
    ),
    _c(
        "kids",
        "母婴童装",
        "kids & baby",
        "童装 儿童 宝宝 母婴 婴儿 亲子 玩具 孩子 小朋友 童鞋 早教 绘本馆 幼儿 奶粉",
        "kids kid children childrens children's baby babies toddler toddlers toys toy nursery childrenswear kidswear",
        "baby heart star",
        "teddy-bear baby-bottle balloon kite rainbow",
        "candy lemon sky mint",
        "friendly geometric",
        "playful",
        "A kids and baby shop: children's clothes, toys and baby products.",
    ),
    _c(
        "beauty",
        "美妆护肤",
        "beauty & skincare",
        "美妆 护肤 化妆品 口红 面膜 精华 香水 美容 彩妆 美甲 美发 发廊 护肤品 面霜 防晒 美容院 理发 卸妆",
        "beauty skincare skin_care cosmetics makeup make-up lipstick serum serums perfume perfumes salon nail "
        "nails spa moisturizer sunscreen haircut hair_salon",
        "sparkles flower-2 heart spray-can",
        "lipstick lotion-bottle nail-polish cherry-blossom sparkles",
        "sakura blush lavender mono luxe",
        "elegant modern",
        "premium",
        "A beauty and skincare shop: cosmetics, lipstick, serums, perfume, a salon or nail studio.",
    ),
    _c(
        "jewellery",
        "珠宝首饰",
        "jewellery",
        "珠宝 首饰 饰品 项链 戒指 耳环 手镯 黄金 钻石 银饰 玉石 翡翠 手链 耳饰 金饰",
        "jewellery jewelry jeweller jeweler necklace necklaces ring rings earrings bracelet bracelets diamond "
        "diamonds gold silver gem gems",
        "gem crown sparkles",
        "gem-stone ring crown sparkles",
        "luxe midnight mono blush",
        "elegant display",
        "premium",
        "A jewellery shop selling rings, necklaces, earrings, gold, silver and diamonds.",
    ),
    _c(
        "flowers",
        "鲜花绿植",
        "flowers & plants",
        "鲜花 花店 花艺 花束 插花 绿植 多肉 花卉 盆栽 花坊 永生花 玫瑰 康乃馨 郁金香 向日葵",
        "flowers flower florist florists bouquet bouquets floral plants blooms succulents houseplants roses tulips "
        "peonies",
        "flower flower-2 sprout",
        "bouquet tulip rose sunflower potted-plant cherry-blossom",
        "sakura blush mint sage lavender",
        "elegant friendly",
        "natural",
        "A florist selling bouquets, fresh flowers and potted plants.",
    ),
    _c(
        "pets",
        "宠物",
        "pets",
        "宠物 猫咪 狗狗 萌宠 猫粮 狗粮 铲屎 宠物店 猫 狗 喵 汪 宠物医院 洗护",
        "pet pets cat cats dog dogs puppy puppies kitten kittens grooming vet veterinary",
        "paw-print heart bone",
        "dog-face cat-face paw-prints bone",
        "lemon sky mint coral candy",
        "friendly geometric",
        "playful",
        "A pet shop or pet groomer: food, toys and care for cats and dogs.",
    ),
    _c(
        "fitness",
        "健身运动",
        "fitness & sports",
        "健身 瑜伽 运动 健身房 私教 跑步 普拉提 减脂 塑形 健身操 搏击 骑行 游泳 球馆",
        "fitness gym gyms yoga workout workouts pilates personal_training runner running_shoes sport sports crossfit "
        "cycling swimming athletic",
        "dumbbell bike heart-pulse trophy",
        "flexed-biceps person-lifting-weights woman-in-lotus-position running-shoe trophy",
        "tech ocean blackout lemon midnight",
        "display geometric",
        "tech",
        "A gym, yoga studio or sports club: workouts, personal training and classes.",
    ),
    _c(
        "education",
        "教育培训",
        "education",
        "教育 培训 课程 辅导 学习 英语 考试 留学 学堂 网课 老师 补习 编程课 兴趣班 书法 讲座 训练营 学校",
        "education course courses tutoring tutor classes school academy learning lesson lessons "
        "workshop bootcamp students",
        "graduation-cap book-open pen-tool lightbulb",
        "graduation-cap books pencil backpack light-bulb",
        "sky tech mint cream ocean",
        "modern friendly geometric",
        "calm",
        "An education or training business: courses, tutoring, classes and workshops.",
    ),
    _c(
        "tech",
        "科技互联网",
        "tech & software",
        "科技 软件 人工智能 智能 数码 电子 手机 苹果手机 电脑 互联网 云服务 云计算 机器人 程序 开发者 芯片 数字化 SaaS",
        "tech technology software saas app apps ai cloud startup digital gadget gadgets electronics smartphone "
        "smartphones laptop laptops developer developers api robot robotics iphone",
        "rocket laptop smartphone zap cpu",
        "rocket laptop robot light-bulb mobile-phone gear",
        "tech midnight ocean mono",
        "geometric modern",
        "tech",
        "A technology company: software, SaaS, AI, apps, cloud services and electronics.",
    ),
    _c(
        "travel",
        "旅行住宿",
        "travel & stays",
        "旅行 旅游 酒店 民宿 度假 机票 出行 景区 露营 自驾 旅拍 海岛 签证",
        "travel travels trip trips tour tours hotel hotels hostel resort resorts vacation vacations camping "
        "flight flights getaway",
        "plane map-pin tent mountain globe",
        "airplane beach-with-umbrella palm-tree camping luggage world-map",
        "sky ocean sunset mint",
        "geometric modern friendly",
        "calm",
        "A travel agency, hotel, guesthouse or campsite: trips, tours and stays.",
    ),
    _c(
        "home",
        "家居生活",
        "home & living",
        "家居 家具 沙发 装修 软装 灯具 床品 香薰 蜡烛 收纳 家纺 居家 餐具 摆件 地毯 窗帘",
        "home homeware homewares furniture sofa sofas interior interiors decor lighting bedding candle candles "
        "lamp lamps furnishings rug rugs",
        "house sofa lamp flame",
        "couch-and-lamp bed candle potted-plant framed-picture house",
        "cream sage mono mint lavender",
        "elegant modern",
        "calm",
        "A home and living shop: furniture, lamps, bedding, candles and decor.",
    ),
    _c(
        "grocery",
        "水果生鲜",
        "fruit & grocery",
        "水果 果蔬 生鲜 蔬菜 超市 杂货 便利店 农产品 粮油 果园 鲜果 有机蔬菜 草莓 苹果 橙子 葡萄",
        "fruit fruits grocery groceries greengrocer vegetables veggies produce supermarket farm orchard "
        "strawberries apples oranges",
        "apple cherry citrus carrot shopping-cart",
        "red-apple watermelon grapes strawberry tangerine peach leafy-green basket",
        "lemon mint forest coral sage",
        "friendly geometric",
        "natural",
        "A fruit and grocery shop: fresh fruit, vegetables and farm produce.",
    ),
    _c(
        "wine",
        "酒类酒吧",
        "wine & bar",
        "葡萄酒 红酒 酒庄 精酿 啤酒 酒吧 白酒 威士忌 清酒 鸡尾酒 小酒馆 酒馆 酒水",
        "wine wines winery vineyard beer beers brewery craft_beer wine_bar pub cocktail cocktails whisky whiskey",
        "wine beer grape martini",
        "wine-glass bottle-with-popping-cork clinking-glasses beer-mug cocktail-glass",
        "berry midnight luxe",
        "elegant display",
        "premium",
        "A wine shop, brewery or bar serving wine, beer and cocktails.",
    ),
    _c(
        "books",
        "书店文具",
        "books & stationery",
        "书店 图书 读书 书籍 绘本 文具 书房 出版 小说 阅读 本子",
        "book books bookstore bookshop library reading stationery novel novels publishing notebooks",
        "book-open pen-tool library",
        "books open-book fountain-pen bookmark-tabs",
        "cream forest mono midnight",
        "elegant modern",
        "calm",
        "A bookstore or stationery shop: books, novels, notebooks and pens.",
    ),
    _c(
        "photography",
        "摄影",
        "photography",
        "摄影 拍照 写真 照相 影楼 相机 婚纱照 证件照 跟拍 摄影工作室",
        "photography photographer photographers photo_studio camera cameras portrait portraits photoshoot",
        "camera aperture film",
        "camera camera-with-flash film-frames framed-picture",
        "mono midnight luxe ocean",
        "modern elegant display",
        "premium",
        "A photography studio: portraits, wedding photos and photo shoots.",
    ),
    _c(
        "crafts",
        "手作陶艺",
        "handmade crafts",
        "陶瓷 陶艺 手作 手工艺 编织 刺绣 木作 皮具 非遗",
        "ceramics ceramic pottery handmade crafts craft knitting crochet embroidery woodwork leathercraft",
        "palette brush amphora",
        "amphora yarn artist-palette thread",
        "cream sage mono mint",
        "elegant friendly",
        "natural",
        "A handmade crafts studio: ceramics, pottery, knitting and embroidery.",
    ),
    _c(
        "music",
        "音乐乐器",
        "music",
        "音乐 琴行 乐器 吉他 钢琴 乐队 演唱会 唱片 声乐",
        "music musical guitar guitars piano pianos concert vinyl instruments",
        "music guitar headphones piano",
        "guitar musical-notes headphone musical-keyboard",
        "midnight berry ocean mono",
        "display modern",
        "playful",
        "A music school or instrument shop: guitars, pianos, lessons and concerts.",
    ),
)

_OCCASIONS = (
    _c(
        "spring_festival",
        "春节",
        "Chinese New Year",
        "春节 新年 过年 年货 除夕 拜年 新春 年夜饭 贺岁 春联 迎新春 小年",
        "chinese_new_year lunar_new_year spring_festival cny red_envelope",
        "gift sparkles party-popper",
        "red-envelope firecracker red-paper-lantern fireworks",
        "festive imperial",
        "display elegant",
        "festive",
        "Chinese New Year (Spring Festival) celebration with red envelopes and lanterns.",
        True,
    ),
    _c(
        "mid_autumn",
        "中秋",
        "Mid-Autumn Festival",
        "中秋 中秋节 月饼 赏月 团圆 嫦娥 玉兔",
        "mid-autumn mid_autumn mooncake mooncakes moon_festival moon_cake moon_cakes",
        "moon gift sparkles",
        "moon-cake full-moon moon-viewing-ceremony rabbit-face",
        "moonlit imperial festive",
        "elegant display",
        "festive",
        "The Mid-Autumn Festival: mooncakes, the full moon and family reunion.",
        True,
    ),
    _c(
        "dragon_boat",
        "端午",
        "Dragon Boat Festival",
        "端午 端午节 粽子 龙舟 赛龙舟 艾草",
        "dragon_boat zongzi rice_dumplings",
        "leaf sprout trees",
        "rice-ball dragon-face canoe pine-decoration",
        "jade forest",
        "elegant display",
        "festive",
        "The Dragon Boat Festival: zongzi rice dumplings and dragon boat races.",
        True,
    ),
    _c(
        "valentine",
        "七夕情人节",
        "Valentine's Day",
        "七夕 情人节 表白 告白 恋人 情侣 约会",
        "valentine valentine's valentines qixi sweetheart",
        "heart gift sparkles",
        "heart-with-ribbon rose love-letter two-hearts chocolate-bar",
        "rose sakura blush",
        "elegant friendly",
        "festive",
        "Valentine's Day or Qixi: love, roses, chocolate and gifts for couples.",
        True,
    ),
    _c(
        "christmas",
        "圣诞",
        "Christmas",
        "圣诞 圣诞节 平安夜 圣诞老人",
        "christmas xmas santa holiday_season",
        "gift snowflake tree-pine",
        "christmas-tree santa-claus wrapped-gift snowman bell",
        "evergreen festive",
        "display friendly",
        "festive",
        "Christmas: the tree, Santa Claus, gifts and snow.",
        True,
    ),
    _c(
        "halloween",
        "万圣节",
        "Halloween",
        "万圣 万圣节 南瓜灯 不给糖就捣蛋",
        "halloween trick-or-treat trick_or_treat spooky",
        "ghost moon candy",
        "jack-o-lantern ghost bat spider-web",
        "pumpkin blackout",
        "display friendly",
        "festive",
        "Halloween: pumpkins, ghosts, bats and trick-or-treat.",
        True,
    ),
    _c(
        "shopping_festival",
        "购物节大促",
        "shopping festival",
        "双11 双十一 双12 双十二 618 黑五 黑色星期五 大促 年中大促 购物节 年终大促 狂欢节",
        "black_friday cyber_monday singles_day singles'_day 11.11 mega_sale",
        "shopping-bag badge-percent percent tag",
        "shopping-bags money-bag collision shopping-cart",
        "blackout festive berry",
        "display geometric",
        "festive",
        "A big shopping festival sale such as Black Friday, Singles' Day 11.11 or 618.",
        True,
        art_leads=False,
    ),
    _c(
        "mothers_day",
        "母亲节",
        "Mother's Day",
        "母亲节 妈妈节 感恩妈妈",
        "mother's_day mothers_day mothers'_day",
        "heart flower gift",
        "bouquet tulip sparkling-heart wrapped-gift",
        "sakura blush",
        "elegant friendly",
        "festive",
        "Mother's Day: flowers and gifts for mum.",
        True,
    ),
    _c(
        "new_year",
        "元旦跨年",
        "New Year",
        "元旦 跨年 倒计时",
        "new_year new_year's new_year's_eve countdown",
        "sparkles party-popper calendar",
        "fireworks party-popper confetti-ball clinking-glasses",
        "midnight berry blackout",
        "display modern",
        "festive",
        "The New Year (January 1st): countdown party and fireworks.",
        True,
    ),
    _c(
        "grand_opening",
        "开业",
        "grand opening",
        "开业 开张 新店 开幕 试营业 盛大开业 新店开业",
        "grand_opening opening_day now_open soft_opening",
        "party-popper store sparkles",
        "party-popper confetti-ball balloon ribbon",
        "festive coral berry lemon",
        "display geometric",
        "festive",
        "A shop's grand opening day with balloons and confetti.",
        True,
        art_leads=False,
    ),
)

CATEGORIES: dict[str, Category] = {c.id: c for c in _BUSINESSES + _OCCASIONS}

MOODS: dict[str, Mood] = {
    "festive": Mood(
        "festive",
        ("喜庆", "热闹", "节日", "红火", "欢乐", "庆祝"),
        ("festive", "celebration", "celebrate", "holiday"),
        ("festive", "imperial", "moonlit", "rose", "evergreen", "pumpkin", "blackout"),
        ("display", "elegant"),
    ),
    "calm": Mood(
        "calm",
        ("安静", "宁静", "温润", "素雅", "治愈", "简约", "舒缓", "温柔", "雅致", "清新"),
        ("calm", "serene", "relaxing", "minimal", "minimalist", "quiet", "gentle", "soothing"),
        ("mint", "cream", "mono", "lavender", "sage", "sky"),
        ("elegant", "modern"),
    ),
    "premium": Mood(
        "premium",
        ("高端", "奢华", "轻奢", "精致", "高级", "典雅", "尊享"),
        ("luxury", "luxurious", "premium", "elegant", "upscale", "exclusive"),
        ("luxe", "midnight", "mono", "navy"),
        ("elegant", "display"),
    ),
    "playful": Mood(
        "playful",
        ("可爱", "活泼", "趣味", "童趣", "俏皮", "元气", "甜美"),
        ("fun", "playful", "cute", "cheerful", "colorful", "colourful", "bright"),
        ("lemon", "coral", "candy", "sakura", "sunset"),
        ("friendly", "geometric"),
    ),
    "natural": Mood(
        "natural",
        ("自然", "天然", "有机", "手工", "环保", "绿色", "原生态", "质朴"),
        ("natural", "organic", "handmade", "eco", "sustainable", "rustic", "earthy"),
        ("forest", "sage", "cream", "mint"),
        ("elegant", "friendly"),
    ),
    "tech": Mood(
        "tech",
        ("科技感", "未来", "酷炫", "赛博", "数字"),
        ("futuristic", "high-tech", "cyber", "sleek"),
        ("tech", "midnight", "ocean"),
        ("geometric", "modern"),
    ),
}

# Where content is published, never a business or a brand.
PLATFORMS_ZH = (
    "小红书",
    "抖音",
    "淘宝",
    "天猫",
    "京东",
    "拼多多",
    "美团",
    "饿了么",
    "大众点评",
    "微信",
    "公众号",
    "视频号",
    "朋友圈",
    "快手",
    "哔哩哔哩",
    "B站",
    "微博",
    "知乎",
    "闲鱼",
    "得物",
    "有赞",
    "微店",
)
PLATFORMS_EN = (
    "Xiaohongshu",
    "RedNote",
    "Douyin",
    "TikTok",
    "Taobao",
    "Tmall",
    "JD.com",
    "Pinduoduo",
    "Temu",
    "Meituan",
    "WeChat",
    "Weibo",
    "Kuaishou",
    "Bilibili",
    "Zhihu",
    "Instagram",
    "Facebook",
    "YouTube",
    "Amazon",
    "Shopify",
    "Etsy",
    "Pinterest",
    "Twitter",
    "LinkedIn",
    "Threads",
    "Snapchat",
    "eBay",
    "Lazada",
    "Shopee",
)
PLATFORMS = PLATFORMS_ZH + PLATFORMS_EN

GENERIC_ICONS = ("sparkles", "star", "store", "heart", "shopping-bag", "gift")
GENERIC_ART = ("sparkles", "shopping-bags", "glowing-star", "wrapped-gift")
GENERIC_PALETTES = ("sunset", "ocean", "berry", "coral", "mint", "cream", "midnight", "lemon", "lavender", "sage")
GENERIC_FONTS = ("modern", "geometric", "elegant", "display", "friendly")

ART_NAMES: tuple[str, ...] = tuple(dict.fromkeys([a for c in CATEGORIES.values() for a in c.art] + list(GENERIC_ART)))


# ---------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    target: str  # a category id, "mood:<id>" or "platform"


def _en_pattern(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(word) + r"(?![A-Za-z0-9])", re.IGNORECASE)


@functools.cache
def _matchers() -> tuple[tuple[str, str, re.Pattern[str] | None], ...]:
    """(keyword, target, pattern or None for a plain substring), longest keywords first."""
    rows: list[tuple[str, str, re.Pattern[str] | None]] = []
    for c in CATEGORIES.values():
        rows += [(k, c.id, None) for k in c.keywords_zh] + [(k, c.id, _en_pattern(k)) for k in c.keywords_en]
    for m in MOODS.values():
        rows += [(k, f"mood:{m.id}", None) for k in m.keywords_zh]
        rows += [(k, f"mood:{m.id}", _en_pattern(k)) for k in m.keywords_en]
    rows += [(p, "platform", None) for p in PLATFORMS_ZH] + [(p, "platform", _en_pattern(p)) for p in PLATFORMS_EN]
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


def _hits(text: str) -> list[_Hit]:
    """Keyword occurrences, longest first; a shorter one inside a longer one is dropped."""
    taken = bytearray(len(text))
    hits: list[_Hit] = []
    for word, target, pattern in _matchers():
        spans = [m.span() for m in pattern.finditer(text)] if pattern else _substrings(text, word)
        for start, end in spans:
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            hits.append(_Hit(start, end, target))
    return sorted(hits, key=lambda h: h.start)


def _substrings(text: str, word: str) -> list[tuple[int, int]]:
    out, i = [], text.find(word)
    while i >= 0:
        out.append((i, i + len(word)))
        i = text.find(word, i + len(word))
    return out


def _weight(text: str, hit: _Hit) -> float:
    """Characters covered, a Latin word counting like two Han characters; earlier hits weigh a little more
    (the subject of a request usually comes first)."""
    chunk = text[hit.start : hit.end]
    size = len(chunk) if any("\u3400" <= ch <= "\u9fff" for ch in chunk) else 2 * (chunk.count(" ") + 1)
    return size * (1.0 + 0.15 * (1 - hit.start / max(1, len(text))))


@dataclass(frozen=True)
class Theme:
    """What a design is about: a business category, an occasion and a mood (each may be unknown)."""

    category: str | None = None
    occasion: str | None = None
    mood: str | None = None
    matched: tuple[str, ...] = field(default=(), compare=False)  # the keywords that decided it

    @property
    def business(self) -> Category | None:
        return CATEGORIES.get(self.category or "")

    @property
    def event(self) -> Category | None:
        return CATEGORIES.get(self.occasion or "")

    @property
    def known(self) -> bool:
        return bool(self.category or self.occasion)

    def icons(self) -> tuple[str, ...]:
        """Lucide icons that fit: the business's (a logo shows what the shop sells), else the occasion's."""
        for c in (self.business, self.event):
            if c is not None:
                return c.icons
        return GENERIC_ICONS

    def art(self, kind: str = "poster") -> tuple[str, ...]:
        """Illustrations that fit; a festival's art leads on posters and cards, the business's on a logo
        and for commercial occasions (a 双11 sale shows the goods, not a money bag)."""
        event_first = kind != "logo" and self.event is not None and self.event.art_leads
        order = (self.event, self.business) if event_first else (self.business, self.event)
        names = [a for c in order if c is not None for a in c.art]
        return tuple(dict.fromkeys(names)) or GENERIC_ART

    def palettes(self) -> tuple[str, ...]:
        """Palettes that fit: an occasion's own; else the business's, preferring those of a stated mood."""
        if self.event is not None:
            return self.event.palettes
        mood = MOODS.get(self.mood or "")
        if self.business is not None:
            if mood is not None and (both := tuple(p for p in self.business.palettes if p in mood.palettes)):
                return both
            return self.business.palettes
        return mood.palettes if mood is not None else GENERIC_PALETTES

    def fonts(self) -> tuple[str, ...]:
        for c in (self.event, self.business):
            if c is not None:
                return c.fonts
        mood = MOODS.get(self.mood or "")
        return mood.fonts if mood is not None else GENERIC_FONTS

    def describe(self, language: str = "en") -> str:
        """A short phrase for a prompt: '女装服饰 · 中秋' / "women's fashion · Mid-Autumn Festival"."""
        parts = [getattr(c, "zh" if language == "zh" else "en") for c in (self.business, self.event) if c]
        return " · ".join(parts)


def detect_theme(text: str) -> Theme:
    """The business category, occasion and mood a request is about, from the keyword table."""
    scores: dict[str, float] = {}
    matched: list[str] = []
    for hit in _hits(text or ""):
        if hit.target == "platform":
            continue
        scores[hit.target] = scores.get(hit.target, 0.0) + _weight(text, hit)
        matched.append(text[hit.start : hit.end])

    def best(ids) -> str | None:
        found = [(scores[i], -order, i) for order, i in enumerate(ids) if i in scores]
        return max(found)[2] if found else None

    category = best([c.id for c in _BUSINESSES])
    occasion = best([c.id for c in _OCCASIONS])
    mood = best([f"mood:{m}" for m in MOODS])
    return Theme(category, occasion, mood.split(":", 1)[1] if mood else None, tuple(matched))


def theme_of(category: str | None = None, occasion: str | None = None, mood: str | None = None) -> Theme:
    """A Theme from ids (unknown ids are ignored)."""
    return Theme(
        category if category in CATEGORIES and not CATEGORIES[category].occasion else None,
        occasion if occasion in CATEGORIES and CATEGORIES[occasion].occasion else None,
        mood if mood in MOODS else None,
    )


def find_platforms(text: str) -> list[str]:
    """Platform names in ``text`` (小红书, Douyin, Instagram...), in order."""
    return [text[h.start : h.end] for h in _hits(text or "") if h.target == "platform"]


def strip_platforms(text: str) -> str:
    """``text`` without platform names (and the 的/on/for glue left around them), tidied."""
    if not text:
        return text
    out = text
    for name in sorted(set(find_platforms(text)), key=len, reverse=True):
        pattern = re.escape(name)
        out = re.sub(
            rf"(?:(?:on|for|via|@)\s+)?{pattern}(?:\s*(?:上的|的|风|版|爆款|同款|笔记|post))?",
            " ",
            out,
            flags=re.IGNORECASE,
        )
    out = re.sub(r"\s{2,}", " ", out)
    out = re.sub(r"\s+([:：,，.!?！？])", r"\1", out)
    return out.strip(" ·|-—:：,，、")


_COVER = re.compile(r"封面|首图|头图|笔记配图|\b(?:cover|covers|thumbnail|thumbnails)\b", re.IGNORECASE)


def is_cover(text: str) -> bool:
    """Whether a request asks for a cover or thumbnail (content, not an ad: no shop button)."""
    return bool(_COVER.search(text or ""))


def category_descriptions() -> dict[str, str]:
    """id -> a sentence describing the category (English and Chinese names), for nearest-neighbour matching."""
    return {c.id: f"{c.description} {c.zh}：{'、'.join(c.keywords_zh[:6])}" for c in CATEGORIES.values()}
